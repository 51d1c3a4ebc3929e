"""A patient's follow-up choice is what they asked for: the database refuses to delete it."""

from django.db import migrations

from kapcare.db_triggers import refuse_delete


class Migration(migrations.Migration):
    dependencies = [("follow_up", "0001_initial")]
    operations = [
        refuse_delete(
            "follow_up_followuppreference", "a patient's follow-up choice is never deleted"
        ),
    ]
