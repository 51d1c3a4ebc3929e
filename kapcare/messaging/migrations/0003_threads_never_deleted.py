"""A thread, like its messages, is part of the patient's record: its rows refuse DELETE,
and on PostgreSQL both tables refuse TRUNCATE (which skips the row triggers of 0002)."""

from django.db import migrations

from kapcare.db_triggers import refuse_delete, refuse_truncate


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_messages_never_changed")]
    operations = [
        refuse_truncate("messaging_message", "a message is never deleted"),
        refuse_delete("messaging_thread", "a message thread is never deleted"),
    ]
