"""Refused attempts on a record are logged too (`action = refused`), with the address asked
for. SQLite adds a NOT NULL column by rebuilding the table, which drops its triggers: they
are created again here, word for word as in 0002."""

from django.db import migrations, models

from kapcare.db_triggers import vendor_sql

TABLE = "audit_accesslogentry"

SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END""",
]


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="accesslogentry",
            name="path",
            field=models.CharField(blank=True, default="", max_length=300),
        ),
        migrations.AlterField(
            model_name="accesslogentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("view", "Viewed"),
                    ("list", "Listed"),
                    ("create", "Created"),
                    ("update", "Changed"),
                    ("export", "Exported"),
                    ("disclose", "Disclosed"),
                    ("refused", "Refused"),
                ],
                max_length=12,
            ),
        ),
        vendor_sql({"sqlite": SQLITE}, {}),
    ]
