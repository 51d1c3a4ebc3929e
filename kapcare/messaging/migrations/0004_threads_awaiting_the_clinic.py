"""Each thread says whether it waits for the clinic (its latest message is from the patient
or the therapist), so that the menu's unread count on every staff page reads only those
threads, through a partial index. Existing threads are set from their latest message.
SQLite adds the NOT NULL column by rebuilding the table, which drops its triggers: 0003's
refusal of DELETE is created again, word for word."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from kapcare.db_triggers import vendor_sql

# The clinic's roles when this migration was written (accounts.models.STAFF_ROLES).
STAFF_ROLES = ["coordinator", "clinician", "nurse", "admin"]


def set_from_latest_message(apps, schema_editor):
    Thread = apps.get_model("messaging", "Thread")
    Message = apps.get_model("messaging", "Message")
    latest_author_role = Subquery(
        Message.objects.filter(thread_id=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("author__role")[:1]
    )
    waiting = (
        Thread.objects.annotate(latest_author_role=latest_author_role)
        .exclude(latest_author_role__in=STAFF_ROLES)
        .exclude(latest_author_role__isnull=True)
        .values_list("pk", flat=True)
    )
    Thread.objects.filter(pk__in=list(waiting)).update(awaits_clinic=True)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0003_threads_never_deleted"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="thread",
            name="awaits_clinic",
            field=models.BooleanField(
                default=False,
                help_text="The latest message is from outside the clinic (the patient or the "
                "therapist): no one at the clinic has written since. Set with each message, in "
                "its transaction.",
            ),
        ),
        vendor_sql(
            {
                "sqlite": [
                    """CREATE TRIGGER IF NOT EXISTS messaging_thread_no_delete
                    BEFORE DELETE ON messaging_thread
                    BEGIN SELECT RAISE(ABORT, 'a message thread is never deleted'); END"""
                ]
            },
            {},
        ),
        migrations.AddIndex(
            model_name="thread",
            index=models.Index(
                condition=models.Q(("awaits_clinic", True)),
                fields=["clinic", "-last_message_at"],
                name="messaging_thread_awaiting_idx",
            ),
        ),
        migrations.RunPython(set_from_latest_message, migrations.RunPython.noop),
    ]
