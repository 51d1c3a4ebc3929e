"""The database cache's table (settings.CACHES), which holds the rate-limit counts when no
Redis is configured. Django's `createcachetable` makes it, and nothing when the configured
caches are not in the database."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
