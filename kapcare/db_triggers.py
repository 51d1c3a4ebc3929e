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
