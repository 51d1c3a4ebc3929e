"""What production settings (DEBUG off) hold for running several app servers: nothing kept
in a process's memory or on one machine's disk, persistent checked connections, compiled
templates cached, the read replica when one is named."""

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import kapcare

SETTINGS = Path(kapcare.__file__).parent / "settings.py"

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "kapcare-tests-only-8fQ2vL0xZr7TnW4yKc1HbM6sPd9JgE3uAo5Vi",
    "ALLOWED_HOSTS": "clinic.example.org",
    "DATABASE_URL": "postgres://kapcare@db.internal:5432/kapcare",
}
LOCAL_STATE = ("locmem", "filebased", "dummy")


@pytest.fixture
def load(monkeypatch):
    """The settings module as a process started with `environment` would read it."""

    def load_with(**environment) -> dict:
        for name in ("CACHE_URL", "DATABASE_REPLICA_URL", "DB_CONN_MAX_AGE", "API_PAGE_SIZE"):
            monkeypatch.delenv(name, raising=False)
        for name, value in {**PRODUCTION, **environment}.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS))

    return load_with


def test_production_keeps_sessions_and_cache_in_the_database(load):
    settings = load()

    assert settings["CACHES"]["default"]["BACKEND"].endswith("db.DatabaseCache")
    assert settings["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_with_redis_the_cache_and_the_sessions_reads_are_in_redis(load):
    settings = load(CACHE_URL="redis://cache.internal:6379/0")

    assert settings["CACHES"]["default"]["BACKEND"].endswith("redis.RedisCache")
    assert settings["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


@pytest.mark.parametrize("cache_url", ["", "redis://cache.internal:6379/0"])
def test_production_keeps_nothing_in_process_memory_or_local_files(load, cache_url):
    settings = load(CACHE_URL=cache_url)

    backends = [cache["BACKEND"].lower() for cache in settings["CACHES"].values()]
    assert not any(word in backend for backend in backends for word in LOCAL_STATE)
    assert not settings["SESSION_ENGINE"].endswith(("file", "signed_cookies"))
    assert settings["TASKS"]["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


def test_production_keeps_database_connections_open_and_checks_them(load):
    database = load()["DATABASES"]["default"]

    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_development_opens_a_connection_per_request_and_the_operator_may_choose(load):
    assert load(DEBUG="1")["DATABASES"]["default"]["CONN_MAX_AGE"] == 0
    assert load(DB_CONN_MAX_AGE="300")["DATABASES"]["default"]["CONN_MAX_AGE"] == 300


@pytest.mark.parametrize("debug", ["0", "1"])
def test_templates_are_compiled_once_and_cached(load, debug):
    [templates] = load(DEBUG=debug)["TEMPLATES"]

    [(loader, inner)] = templates["OPTIONS"]["loaders"]
    assert loader == "django.template.loaders.cached.Loader"
    assert inner == [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]


def test_a_replica_url_adds_the_replica_that_reports_read_from(load):
    settings = load(DATABASE_REPLICA_URL="postgres://kapcare@replica.internal:5432/kapcare")

    replica = settings["DATABASES"]["replica"]
    assert (replica["HOST"], replica["NAME"]) == ("replica.internal", "kapcare")
    assert replica["TEST"] == {"MIRROR": "default"}
    assert settings["READ_REPLICA"] == "replica"
    assert settings["DATABASE_ROUTERS"] == ["kapcare.replica.ReplicaRouter"]


def test_without_a_replica_url_every_read_is_on_the_primary(load):
    settings = load()

    assert set(settings["DATABASES"]) == {"default"}
    assert settings["READ_REPLICA"] == ""


def test_a_default_page_size_above_the_maximum_is_refused_at_start_up(load):
    with pytest.raises(ImproperlyConfigured, match="API_PAGE_SIZE"):
        load(API_PAGE_SIZE="500")
