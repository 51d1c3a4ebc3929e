"""The production cache: the migration makes the database cache's table, and rate limits
counted there hold across requests as in memory (both databases)."""

import importlib
from types import SimpleNamespace

from django.core.cache import caches
from django.db import connection
from django.test import RequestFactory

from kapcare import ratelimits

DATABASE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "kapcare_cache",
    }
}
migration = importlib.import_module("kapcare.accounts.migrations.0002_cache_table")


def test_the_migration_makes_the_table_and_limits_count_in_it(db, settings):
    settings.CACHES = DATABASE_CACHE
    migration.create_cache_table(None, SimpleNamespace(connection=connection))
    assert "kapcare_cache" in connection.introspection.table_names()
    request = RequestFactory().post("/accounts/password-reset/", REMOTE_ADDR="10.3.3.3")

    usages = [
        ratelimits.count(request, group="test", key="ip", rate="2/m").is_limited for _ in range(3)
    ]

    assert usages == [False, False, True]
    assert caches["default"].__class__.__name__ == "DatabaseCache"
