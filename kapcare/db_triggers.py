"""A migration operation that runs SQL written for each database vendor: the triggers
that make records append-only or immutable, on SQLite and PostgreSQL alike."""

from django.db import migrations


def vendor_sql(forwards: dict[str, list[str]], backwards: dict[str, list[str]]):
    """A RunPython operation executing `forwards[vendor]` (and `backwards[vendor]` when
    unapplied); a vendor without statements is left alone."""

    def run(statements: dict[str, list[str]]):
        def operation(apps, schema_editor):
            for sql in statements.get(schema_editor.connection.vendor, []):
                schema_editor.execute(sql)

        return operation

    return migrations.RunPython(run(forwards), run(backwards))


def _quoted(message: str) -> str:
    return "'" + message.replace("'", "''") + "'"


def refuse_delete(table: str, message: str, *, when: str = ""):
    """The one way a migration makes rows of `table` undeletable, on both databases: a
    `BEFORE DELETE` trigger named `<table>_no_delete` that aborts with `message` (only for
    rows matching `when`, an SQL condition on `OLD` valid on both vendors, if given), and on
    PostgreSQL a `<table>_no_truncate` statement trigger too, since TRUNCATE skips row
    triggers.

    The test suite relies on these names to empty the tables between committed tests
    (root conftest.py): it drops the `*_no_delete` triggers on SQLite and disables the
    triggers of `*_no_truncate` tables on PostgreSQL, both of which need the table's owner.
    In production the app's database role does not own the tables (docs/deploying.md), so
    nothing the app runs can lift them."""
    quoted = _quoted(message)
    condition = f"WHEN {when}" if when else ""
    function = f"{table}_refuse_delete"
    sqlite = [
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {condition}
            BEGIN SELECT RAISE(ABORT, {quoted}); END"""
    ]
    postgres = [
        f"""CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION {quoted}; END IF;
              IF {when or "TRUE"} THEN RAISE EXCEPTION {quoted}; END IF;
              RETURN OLD;
            END $$""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {function}()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
    ]
    return vendor_sql(
        {"sqlite": sqlite, "postgresql": postgres},
        {
            "sqlite": [f"DROP TRIGGER {table}_no_delete"],
            "postgresql": [
                f"DROP TRIGGER {table}_no_truncate ON {table}",
                f"DROP TRIGGER {table}_no_delete ON {table}",
                f"DROP FUNCTION {function}()",
            ],
        },
    )


def refuse_truncate(table: str, message: str):
    """For a table whose rows already refuse DELETE through an earlier migration's
    `<table>_no_delete` trigger: on PostgreSQL, refuse TRUNCATE too (`<table>_no_truncate`),
    which row triggers do not see. SQLite has no TRUNCATE."""
    function = f"{table}_refuse_truncate"
    return vendor_sql(
        {
            "postgresql": [
                f"""CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION {_quoted(message)}; END $$""",
                f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                    FOR EACH STATEMENT EXECUTE FUNCTION {function}()""",
            ]
        },
        {
            "postgresql": [
                f"DROP TRIGGER {table}_no_truncate ON {table}",
                f"DROP FUNCTION {function}()",
            ]
        },
    )


def refuse_update(table: str, message: str):
    """Make rows of `table` unchangeable on both databases: a `BEFORE UPDATE` trigger named
    `<table>_no_update` that aborts with `message` (for append-only history rows)."""
    quoted = _quoted(message)
    function = f"{table}_refuse_update"
    return vendor_sql(
        {
            "sqlite": [
                f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
                    BEGIN SELECT RAISE(ABORT, {quoted}); END"""
            ],
            "postgresql": [
                f"""CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION {quoted}; END $$""",
                f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION {function}()""",
            ],
        },
        {
            "sqlite": [f"DROP TRIGGER {table}_no_update"],
            "postgresql": [
                f"DROP TRIGGER {table}_no_update ON {table}",
                f"DROP FUNCTION {function}()",
            ],
        },
    )


def add_reauthentication_column(model_name: str, table: str, column: str):
    """Add the column saying how a signer re-authenticated (`accounts.step_up`) to a kept
    table, by `ALTER TABLE ... ADD COLUMN` with a database default: Django would make
    SQLite rebuild the table for a NOT NULL column, which drops the triggers that keep its
    rows unchanged. Rows from before say nothing ("")."""
    from kapcare.kept import reauthentication_field

    sql = f"ALTER TABLE {table} ADD COLUMN {column} varchar(16) DEFAULT '' NOT NULL"
    return migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunSQL(sql, f"ALTER TABLE {table} DROP COLUMN {column}")],
        state_operations=[
            migrations.AddField(
                model_name=model_name,
                name=column,
                field=reauthentication_field(),
            )
        ],
    )
