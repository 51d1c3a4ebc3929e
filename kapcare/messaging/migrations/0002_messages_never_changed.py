"""A message is part of the patient's record (docs/architecture.md, Invariants: clinical records
are never deleted, only amended): once written it is never changed and never deleted, not
even by a raw query. A correction is a new message in the same thread.

Test teardown empties tables with TRUNCATE on PostgreSQL (row triggers do not fire); on
SQLite the test suite lifts the `*_no_delete` triggers around it (root conftest.py), which
is why the delete trigger bears that name."""

from django.db import migrations

from kapcare.db_triggers import vendor_sql

TABLE = "messaging_message"
NEVER_CHANGED = "a message is never changed"
NEVER_DELETED = "a message is never deleted"


def sqlite_trigger(name, event, message):
    return f"""CREATE TRIGGER {name} BEFORE {event} ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{message}'); END"""


def postgres_function(name, message):
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{message}'; END $$"""


def postgres_trigger(name, event, function):
    return f"""CREATE TRIGGER {name} BEFORE {event} ON {TABLE} FOR EACH ROW
        EXECUTE FUNCTION {function}()"""


SQLITE = [
    sqlite_trigger(f"{TABLE}_no_update", "UPDATE", NEVER_CHANGED),
    sqlite_trigger(f"{TABLE}_no_delete", "DELETE", NEVER_DELETED),
]
SQLITE_REVERSE = [f"DROP TRIGGER {TABLE}_no_update", f"DROP TRIGGER {TABLE}_no_delete"]

POSTGRES = [
    postgres_function("messaging_refuse_update", NEVER_CHANGED),
    postgres_function("messaging_refuse_delete", NEVER_DELETED),
    postgres_trigger(f"{TABLE}_no_update", "UPDATE", "messaging_refuse_update"),
    postgres_trigger(f"{TABLE}_no_delete", "DELETE", "messaging_refuse_delete"),
]
POSTGRES_REVERSE = [
    f"DROP TRIGGER {TABLE}_no_update ON {TABLE}",
    f"DROP TRIGGER {TABLE}_no_delete ON {TABLE}",
    "DROP FUNCTION messaging_refuse_update()",
    "DROP FUNCTION messaging_refuse_delete()",
]


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]
    operations = [
        vendor_sql(
            {"sqlite": SQLITE, "postgresql": POSTGRES},
            {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE},
        )
    ]
