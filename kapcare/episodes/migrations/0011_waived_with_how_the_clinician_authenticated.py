"""How the clinician who waived a gate re-authenticated (`step_up`).

Added by `ALTER TABLE ... ADD COLUMN` with a database default (as dosing 0008 does): Django
would make SQLite rebuild the table for a NOT NULL column, which drops its triggers
(the records are never changed or deleted once signed). Rows from before say nothing ("")."""

from django.db import migrations

from kapcare.db_triggers import add_reauthentication_column as add_how


class Migration(migrations.Migration):
    dependencies = [("episodes", "0010_session_checked_in")]

    operations = [
        add_how("gatewaiver", "episodes_gatewaiver", "waived_with"),
    ]
