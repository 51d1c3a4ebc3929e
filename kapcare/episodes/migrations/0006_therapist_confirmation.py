"""Staff who record a preparation or integration session for the therapist attach how the
therapist confirmed it. SQLite adds the NOT NULL column by rebuilding the table, which drops
its triggers: 0005's refusal of DELETE is created again, word for word."""

from django.db import migrations, models

from kapcare.db_triggers import vendor_sql


class Migration(migrations.Migration):
    dependencies = [
        ("episodes", "0005_never_deleted"),
    ]

    operations = [
        migrations.AddField(
            model_name="caresession",
            name="therapist_confirmation",
            field=models.CharField(
                blank=True,
                help_text='How and when the therapist confirmed the session, e.g. "email from '
                'R. Kim, Dec 3".',
                max_length=300,
            ),
        ),
        vendor_sql(
            {
                "sqlite": [
                    """CREATE TRIGGER IF NOT EXISTS episodes_caresession_no_delete
                    BEFORE DELETE ON episodes_caresession
                    BEGIN SELECT RAISE(ABORT,
                    'a care session is never deleted: cancel it'); END"""
                ]
            },
            {},
        ),
    ]
