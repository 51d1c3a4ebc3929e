"""Long-term follow-up: the questionnaires sent after an episode moves to follow-up, and
the patient's choice not to receive them."""

from django.conf import settings
from django.db import models

from kapcare.kept import KeptRecord


class FollowUpPreference(KeptRecord):
    """A patient's choice about follow-up questionnaires, made by them in the portal or by
    staff on their behalf. Each change is a new row; the latest holds. Kept: it is what
    the patient asked for."""

    kept_message = "A patient's follow-up choice is never deleted; record a new one."

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="follow_up_preferences"
    )
    opted_out = models.BooleanField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["patient", "-recorded_at", "-id"])]

    def __str__(self) -> str:
        return "opted out" if self.opted_out else "opted in"


class FollowUpSend(models.Model):
    """One follow-up questionnaire sent for one episode at one point of the schedule.
    Unique per (episode, questionnaire, point): the database makes the job idempotent."""

    episode = models.ForeignKey(
        "episodes.Episode", on_delete=models.PROTECT, related_name="follow_up_sends"
    )
    instrument = models.CharField(max_length=20)
    months = models.PositiveSmallIntegerField("months after the move to follow-up")
    link = models.OneToOneField(
        "measures.AssessmentLink", on_delete=models.PROTECT, related_name="follow_up"
    )
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "instrument", "months"], name="follow_up_once_per_point"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument} at {self.months} months"
