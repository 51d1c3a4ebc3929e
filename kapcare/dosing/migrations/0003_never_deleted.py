"""Clinical records are never deleted (docs/architecture.md, Invariants), nor the register of a
controlled substance (21 CFR 1304: complete records of each receipt and disposal):

- the controlled-substance register and addenda refuse DELETE;
- a signed record, and what lies under it, refuse DELETE;
- a released therapist's summary refuses UPDATE and DELETE, and the patient's own account
  of a session refuses both always.

Test teardown empties tables with TRUNCATE on PostgreSQL (row triggers do not fire); on
SQLite the test suite lifts the `*_no_delete` triggers around it (root conftest.py)."""

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
ALWAYS_KEPT = ["dosing_controlledsubstanceentry", "dosing_addendum", "dosing_patientexperience"]
SUMMARY = "dosing_therapistsummary"
EXPERIENCE = "dosing_patientexperience"

KEPT = "clinical records are never deleted"
RELEASED = "a released summary is never changed"
ACCOUNT = "a patient account of a session is never changed"
SIGNED_CHILD = (
    "EXISTS (SELECT 1 FROM dosing_dosingrecord WHERE id = OLD.record_id AND signed_at IS NOT NULL)"
)


def sqlite_trigger(name, event, table, when, message):
    condition = f"WHEN {when}" if when else ""
    return f"""CREATE TRIGGER {name} BEFORE {event} ON {table} {condition}
        BEGIN SELECT RAISE(ABORT, '{message}'); END"""


SQLITE = [
    *(sqlite_trigger(f"{t}_no_delete", "DELETE", t, "", KEPT) for t in ALWAYS_KEPT),
    sqlite_trigger(f"{RECORD}_no_delete", "DELETE", RECORD, "OLD.signed_at IS NOT NULL", KEPT),
    *(sqlite_trigger(f"{t}_no_delete", "DELETE", t, SIGNED_CHILD, KEPT) for t in CHILDREN),
    sqlite_trigger(f"{SUMMARY}_no_delete", "DELETE", SUMMARY, "OLD.released_at IS NOT NULL", KEPT),
    sqlite_trigger(
        f"{SUMMARY}_released_no_update",
        "UPDATE",
        SUMMARY,
        "OLD.released_at IS NOT NULL",
        RELEASED,
    ),
    sqlite_trigger(f"{EXPERIENCE}_no_update", "UPDATE", EXPERIENCE, "", ACCOUNT),
]
SQLITE_REVERSE = [
    *(f"DROP TRIGGER {t}_no_delete" for t in [*ALWAYS_KEPT, RECORD, *CHILDREN, SUMMARY]),
    f"DROP TRIGGER {SUMMARY}_released_no_update",
    f"DROP TRIGGER {EXPERIENCE}_no_update",
]


def postgres_function(name, message, when=""):
    body = (
        f"IF {when} THEN RAISE EXCEPTION '{message}'; END IF; RETURN OLD;"
        if when
        else f"RAISE EXCEPTION '{message}';"
    )
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {body} END $$"""


def postgres_trigger(name, event, table, function, when=""):
    condition = f"WHEN ({when})" if when else ""
    return f"""CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW {condition}
        EXECUTE FUNCTION {function}()"""


POSTGRES = [
    postgres_function("dosing_refuse_delete", KEPT),
    postgres_function("dosing_refuse_delete_under_signed", KEPT, SIGNED_CHILD),
    postgres_function("dosing_refuse_released_update", RELEASED),
    postgres_function("dosing_refuse_account_update", ACCOUNT),
    *(postgres_trigger(f"{t}_no_delete", "DELETE", t, "dosing_refuse_delete") for t in ALWAYS_KEPT),
    postgres_trigger(
        f"{RECORD}_no_delete",
        "DELETE",
        RECORD,
        "dosing_refuse_delete",
        "OLD.signed_at IS NOT NULL",
    ),
    *(
        postgres_trigger(f"{t}_no_delete", "DELETE", t, "dosing_refuse_delete_under_signed")
        for t in CHILDREN
    ),
    postgres_trigger(
        f"{SUMMARY}_no_delete",
        "DELETE",
        SUMMARY,
        "dosing_refuse_delete",
        "OLD.released_at IS NOT NULL",
    ),
    postgres_trigger(
        f"{SUMMARY}_released_no_update",
        "UPDATE",
        SUMMARY,
        "dosing_refuse_released_update",
        "OLD.released_at IS NOT NULL",
    ),
    postgres_trigger(
        f"{EXPERIENCE}_no_update", "UPDATE", EXPERIENCE, "dosing_refuse_account_update"
    ),
]
POSTGRES_REVERSE = [
    *(f"DROP TRIGGER {t}_no_delete ON {t}" for t in [*ALWAYS_KEPT, RECORD, *CHILDREN, SUMMARY]),
    f"DROP TRIGGER {SUMMARY}_released_no_update ON {SUMMARY}",
    f"DROP TRIGGER {EXPERIENCE}_no_update ON {EXPERIENCE}",
    "DROP FUNCTION dosing_refuse_delete()",
    "DROP FUNCTION dosing_refuse_delete_under_signed()",
    "DROP FUNCTION dosing_refuse_released_update()",
    "DROP FUNCTION dosing_refuse_account_update()",
]


class Migration(migrations.Migration):
    dependencies = [("dosing", "0002_signed_records_are_immutable")]
    operations = [
        vendor_sql(
            {"sqlite": SQLITE, "postgresql": POSTGRES},
            {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE},
        )
    ]
