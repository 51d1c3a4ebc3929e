"""No double booking, guaranteed by the database: two booked appointments never overlap in
the same room or for the same clinician.

PostgreSQL: exclusion constraints over the half-open time range [starts_at, ends_at), with
btree_gist for the equality on the id (the extension ships with PostgreSQL; creating it
needs a role allowed to, as the migration's user usually is).
SQLite: triggers that refuse an overlapping insert or update. SQLite has one writer at a
time and kapcare opens write transactions with BEGIN IMMEDIATE, so the trigger's check and
the write cannot interleave with another booking. Times are stored as UTC text of one
format, which compares in time order.
"""

from django.db import migrations

from kapcare.db_triggers import vendor_sql

TABLE = "scheduling_appointment"
HOLDS = {"room": "room_id", "clinician": "clinician_id"}


def constraint(what: str) -> str:
    return f"appointment_{what}_not_double_booked"


POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    *(
        f"""ALTER TABLE {TABLE} ADD CONSTRAINT {constraint(what)}
            EXCLUDE USING gist ({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
            WHERE (status = 'booked' AND {column} IS NOT NULL)"""
        for what, column in HOLDS.items()
    ),
]
POSTGRES_REVERSE = [
    f"ALTER TABLE {TABLE} DROP CONSTRAINT {constraint(what)}" for what in HOLDS
]


def overlap(column: str, *, excluding_self: bool) -> str:
    self_clause = " AND other.id != NEW.id" if excluding_self else ""
    return f"""NEW.status = 'booked' AND NEW.{column} IS NOT NULL AND EXISTS (
        SELECT 1 FROM {TABLE} AS other
        WHERE other.{column} = NEW.{column} AND other.status = 'booked'
          AND other.starts_at < NEW.ends_at AND other.ends_at > NEW.starts_at{self_clause})"""


SQLITE = [
    *(
        f"""CREATE TRIGGER {constraint(what)}_insert BEFORE INSERT ON {TABLE}
            WHEN {overlap(column, excluding_self=False)}
            BEGIN SELECT RAISE(ABORT, '{constraint(what)}'); END"""
        for what, column in HOLDS.items()
    ),
    *(
        f"""CREATE TRIGGER {constraint(what)}_update
            BEFORE UPDATE OF starts_at, ends_at, room_id, clinician_id, status ON {TABLE}
            WHEN {overlap(column, excluding_self=True)}
            BEGIN SELECT RAISE(ABORT, '{constraint(what)}'); END"""
        for what, column in HOLDS.items()
    ),
]
SQLITE_REVERSE = [
    f"DROP TRIGGER {constraint(what)}_{event}" for what in HOLDS for event in ("insert", "update")
]


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [
        vendor_sql(
            {"sqlite": SQLITE, "postgresql": POSTGRES},
            {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE},
        )
    ]
