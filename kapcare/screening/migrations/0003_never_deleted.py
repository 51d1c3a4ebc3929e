"""An eligibility decision is never deleted, nor a completed (signed) screening with its
answers, medications and substance use; a newer version supersedes them."""

from django.db import migrations

from kapcare.db_triggers import refuse_delete

SIGNED_SCREENING = (
    "EXISTS (SELECT 1 FROM screening_medicalscreening "
    "WHERE id = OLD.screening_id AND completed_at IS NOT NULL)"
)
PART = "a completed screening is never changed or deleted"


class Migration(migrations.Migration):
    dependencies = [("screening", "0002_signed_records_are_immutable")]
    operations = [
        refuse_delete("screening_eligibilitydecision", "an eligibility decision is never deleted"),
        refuse_delete(
            "screening_medicalscreening",
            "a completed screening is never deleted",
            when="OLD.completed_at IS NOT NULL",
        ),
        refuse_delete("screening_conditionanswer", PART, when=SIGNED_SCREENING),
        refuse_delete("screening_medicationentry", PART, when=SIGNED_SCREENING),
        refuse_delete("screening_substanceuse", PART, when=SIGNED_SCREENING),
    ]
