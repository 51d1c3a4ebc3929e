"""Make published consent versions, signatures and withdrawals immutable in the database
itself, on SQLite and PostgreSQL alike. Deletes are refused by the PROTECT foreign keys and
the services; only UPDATE is trapped here, so test teardown can still empty the tables."""

from django.db import migrations

from kapcare.db_triggers import vendor_sql

TABLES = {
    "consents_consentversion": "a published consent version is never changed",
    "consents_signature": "a signature is never changed",
    "consents_withdrawal": "a withdrawal is never changed",
}

SQLITE = [
    f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, '{message}'); END"""
    for table, message in TABLES.items()
]
SQLITE_REVERSE = [f"DROP TRIGGER {table}_no_update" for table in TABLES]

POSTGRES = [
    """CREATE FUNCTION consents_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' rows are never changed'; END $$""",
    *(
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            FOR EACH ROW EXECUTE FUNCTION consents_refuse_update()"""
        for table in TABLES
    ),
]
POSTGRES_REVERSE = [
    *(f"DROP TRIGGER {table}_no_update ON {table}" for table in TABLES),
    "DROP FUNCTION consents_refuse_update()",
]


class Migration(migrations.Migration):
    dependencies = [("consents", "0001_initial")]
    operations = [
        vendor_sql(
            {"sqlite": SQLITE, "postgresql": POSTGRES},
            {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE},
        )
    ]
