"""How the clinician who signed a dosing record, released its summary or discharged the
patient against the criteria re-authenticated
(`step_up`).

Added by `ALTER TABLE ... ADD COLUMN` with a database default (as dosing 0008 does): Django
would make SQLite rebuild the tables for a NOT NULL column, which drops their triggers
(the records are never changed or deleted once signed). Rows from before say nothing ("")."""

from django.db import migrations, models

HOW = "How they proved it was them at that moment: password or authenticator (step_up)."


def add_how(model_name: str, table: str, column: str):
    sql = f"ALTER TABLE {table} ADD COLUMN {column} varchar(16) DEFAULT '' NOT NULL"
    return migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunSQL(sql, f"ALTER TABLE {table} DROP COLUMN {column}")],
        state_operations=[
            migrations.AddField(
                model_name=model_name,
                name=column,
                field=models.CharField(
                    blank=True, default="", db_default="", help_text=HOW, max_length=16
                ),
            )
        ],
    )


class Migration(migrations.Migration):
    dependencies = [("dosing", "0014_restate_the_register")]

    operations = [
        add_how("dosingrecord", "dosing_dosingrecord", "signed_with"),
        add_how("therapistsummary", "dosing_therapistsummary", "released_with"),
        add_how("dosingrecord", "dosing_dosingrecord", "discharge_override_with"),
    ]
