"""PostgreSQL: trigram indexes for the patient search (`views.search_patients`), which
looks for each word anywhere in four columns (`UPPER(col) LIKE '%WORD%'`, as Django writes
`icontains`): a b-tree cannot serve a pattern that starts with a wildcard, a GIN index of
the column's trigrams can. SQLite has no such index and searches its (small) table."""

from django.db import migrations

COLUMNS = ["given_name", "family_name", "preferred_name", "email"]


def _index(column: str) -> str:
    return f"patient_{column}_trgm_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_index(column)} ON patients_patient "
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_index(column)}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_list_and_recent_indexes")]

    operations = [migrations.RunPython(create, drop)]
