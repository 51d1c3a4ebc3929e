"""A signed dosing record is immutable in the database itself, on SQLite and PostgreSQL
alike: the record cannot be changed once `signed_at` is set, nothing can be added under it
(observations, events, interventions, infusion changes, discharge checks), and the rows that
are never edited (those, addenda, the controlled-substance register) refuse UPDATE.
DELETE is left to the PROTECT foreign keys and the services, so test teardown can empty
the tables."""

from django.db import migrations

from kapcare.db_triggers import vendor_sql

RECORD = "dosing_dosingrecord"
CHILDREN = [
    "dosing_observation",
    "dosing_adverseevent",
    "dosing_intervention",
    "dosing_infusionchange",
    "dosing_dischargeassessment",
]
NEVER_EDITED = [*CHILDREN, "dosing_addendum", "dosing_controlledsubstanceentry"]

SIGNED = "a signed dosing record is never changed: add an addendum"
EDITED = "these rows are never changed: record a new one"

SQLITE = [
    f"""CREATE TRIGGER {RECORD}_signed_no_update BEFORE UPDATE ON {RECORD}
        WHEN OLD.signed_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, '{SIGNED}'); END""",
    *(
        f"""CREATE TRIGGER {table}_signed_no_insert BEFORE INSERT ON {table}
            WHEN EXISTS (SELECT 1 FROM {RECORD} WHERE id = NEW.record_id
                         AND signed_at IS NOT NULL)
            BEGIN SELECT RAISE(ABORT, '{SIGNED}'); END"""
        for table in CHILDREN
    ),
    *(
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{EDITED}'); END"""
        for table in NEVER_EDITED
    ),
]
SQLITE_REVERSE = [
    f"DROP TRIGGER {RECORD}_signed_no_update",
    *(f"DROP TRIGGER {table}_signed_no_insert" for table in CHILDREN),
    *(f"DROP TRIGGER {table}_no_update" for table in NEVER_EDITED),
]

POSTGRES = [
    f"""CREATE FUNCTION dosing_refuse_signed_update() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION '{SIGNED}'; END $$""",
    f"""CREATE TRIGGER {RECORD}_signed_no_update BEFORE UPDATE ON {RECORD}
        FOR EACH ROW WHEN (OLD.signed_at IS NOT NULL)
        EXECUTE FUNCTION dosing_refuse_signed_update()""",
    f"""CREATE FUNCTION dosing_refuse_insert_under_signed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM {RECORD} WHERE id = NEW.record_id
                     AND signed_at IS NOT NULL) THEN
            RAISE EXCEPTION '{SIGNED}';
          END IF;
          RETURN NEW;
        END $$""",
    *(
        f"""CREATE TRIGGER {table}_signed_no_insert BEFORE INSERT ON {table}
            FOR EACH ROW EXECUTE FUNCTION dosing_refuse_insert_under_signed()"""
        for table in CHILDREN
    ),
    f"""CREATE FUNCTION dosing_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION '{EDITED}'; END $$""",
    *(
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            FOR EACH ROW EXECUTE FUNCTION dosing_refuse_update()"""
        for table in NEVER_EDITED
    ),
]
POSTGRES_REVERSE = [
    f"DROP TRIGGER {RECORD}_signed_no_update ON {RECORD}",
    *(f"DROP TRIGGER {table}_signed_no_insert ON {table}" for table in CHILDREN),
    *(f"DROP TRIGGER {table}_no_update ON {table}" for table in NEVER_EDITED),
    "DROP FUNCTION dosing_refuse_signed_update()",
    "DROP FUNCTION dosing_refuse_insert_under_signed()",
    "DROP FUNCTION dosing_refuse_update()",
]


class Migration(migrations.Migration):
    dependencies = [("dosing", "0001_initial")]
    operations = [
        vendor_sql(
            {"sqlite": SQLITE, "postgresql": POSTGRES},
            {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE},
        )
    ]
