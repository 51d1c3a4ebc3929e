"""The kept outcome of each episode with a dose, so the clinic's figures are one aggregate
query each whatever the number of patients (the dashboards at 100,000 patients).

A summary is derived, never entered: `summary.refresh_patients` writes it from the same
reads and definitions the figures used to evaluate at every request, after any change to
the patient's doses, PHQ-9 scores or episodes commits (`apps.OutcomesConfig.ready`), and
`manage.py rebuild_outcome_summaries` rewrites a clinic's (after its outcome settings
change, or to fill the table the first time)."""

from django.db import models


class OutcomeSummary(models.Model):
    episode = models.OneToOneField(
        "episodes.Episode", on_delete=models.CASCADE, related_name="outcome_summary"
    )
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE, related_name="+")
    # The groups the figures count by: the episode's model, its diagnosis code (upper case,
    # or "not recorded") and its planned route ("not recorded" without one).
    model = models.CharField(max_length=20)
    diagnosis = models.CharField(max_length=20)
    route = models.CharField(max_length=20)
    first_dose_at = models.DateTimeField()
    baseline_total = models.PositiveSmallIntegerField(null=True, blank=True)
    latest_total = models.PositiveSmallIntegerField(null=True, blank=True)
    has_baseline = models.BooleanField(default=False)
    is_responder = models.BooleanField(default=False)
    is_remitter = models.BooleanField(default=False)
    # For a responder: days from the end of induction to the relapse, or to the last
    # contact when `relapsed` is False (censored).
    relapse_days = models.FloatField(null=True, blank=True)
    relapsed = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["clinic", "first_dose_at"], name="outcome_clinic_first_dose"),
        ]

    def __str__(self) -> str:
        return f"Outcome of episode {self.episode_id}"
