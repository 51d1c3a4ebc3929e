"""How the clinician who signed a dosing record, released its summary or discharged the
patient against the criteria re-authenticated
(`step_up`).

Added by `ALTER TABLE ... ADD COLUMN` with a database default (as dosing 0008 does): Django
would make SQLite rebuild the tables for a NOT NULL column, which drops their triggers
(the records are never changed or deleted once signed). Rows from before say nothing ("")."""

from django.db import migrations

from kapcare.db_triggers import add_reauthentication_column as add_how


class Migration(migrations.Migration):
    dependencies = [("dosing", "0014_restate_the_register")]

    operations = [
        add_how("dosingrecord", "dosing_dosingrecord", "signed_with"),
        add_how("therapistsummary", "dosing_therapistsummary", "released_with"),
        add_how("dosingrecord", "dosing_dosingrecord", "discharge_override_with"),
    ]
