"""Make signed screening records immutable in the database itself, on SQLite and
PostgreSQL alike: an eligibility decision is never updated, and a medical screening is
never updated once it has been completed (signed). Deletes are refused by the models and
the PROTECT foreign keys; only UPDATE is trapped here, so test teardown can still empty
the tables."""

from django.db import migrations

from kapcare.db_triggers import vendor_sql

DECISIONS = "screening_eligibilitydecision"
SCREENINGS = "screening_medicalscreening"

SQLITE = [
    f"""CREATE TRIGGER {DECISIONS}_no_update BEFORE UPDATE ON {DECISIONS}
        BEGIN SELECT RAISE(ABORT, 'an eligibility decision is never changed'); END""",
    f"""CREATE TRIGGER {SCREENINGS}_signed BEFORE UPDATE ON {SCREENINGS}
        FOR EACH ROW WHEN OLD.completed_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a completed screening is never changed'); END""",
]
SQLITE_REVERSE = [f"DROP TRIGGER {DECISIONS}_no_update", f"DROP TRIGGER {SCREENINGS}_signed"]

POSTGRES = [
    """CREATE FUNCTION screening_refuse_decision_update() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'an eligibility decision is never changed'; END $$""",
    f"""CREATE TRIGGER {DECISIONS}_no_update BEFORE UPDATE ON {DECISIONS}
        FOR EACH ROW EXECUTE FUNCTION screening_refuse_decision_update()""",
    """CREATE FUNCTION screening_refuse_signed_update() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF OLD.completed_at IS NOT NULL THEN
           RAISE EXCEPTION 'a completed screening is never changed';
         END IF;
         RETURN NEW;
       END $$""",
    f"""CREATE TRIGGER {SCREENINGS}_signed BEFORE UPDATE ON {SCREENINGS}
        FOR EACH ROW EXECUTE FUNCTION screening_refuse_signed_update()""",
]
POSTGRES_REVERSE = [
    f"DROP TRIGGER {DECISIONS}_no_update ON {DECISIONS}",
    "DROP FUNCTION screening_refuse_decision_update()",
    f"DROP TRIGGER {SCREENINGS}_signed ON {SCREENINGS}",
    "DROP FUNCTION screening_refuse_signed_update()",
]


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]
    operations = [
        vendor_sql(
            {"sqlite": SQLITE, "postgresql": POSTGRES},
            {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE},
        )
    ]
