"""A completed questionnaire, a licensed scale's recorded total and a safety alert (with its
review) are part of the record: the database refuses to delete them."""

from django.db import migrations

from kapcare.db_triggers import refuse_delete


class Migration(migrations.Migration):
    dependencies = [("measures", "0001_initial")]
    operations = [
        refuse_delete(
            "measures_assessment",
            "a completed questionnaire is never deleted",
            when="OLD.completed_at IS NOT NULL",
        ),
        refuse_delete("measures_licensedscaleresult", "a recorded scale result is never deleted"),
        refuse_delete("measures_safetyalert", "a safety alert is never deleted"),
    ]
