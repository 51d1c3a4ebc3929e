"""The last evaluation of each element of each dosed episode, kept so the clinic page
reads a period's shares in one query instead of evaluating every episode on each visit.
Derived data, refreshed (`services.refresh_conformance`), never the record itself."""

from django.db import models


class ConformanceResult(models.Model):
    episode = models.ForeignKey(
        "episodes.Episode", on_delete=models.PROTECT, related_name="conformance_results"
    )
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    element = models.CharField(max_length=40)
    status = models.CharField(max_length=16)
    detail = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    # When the episode's first dose was given: the clinic page's period reads this.
    first_dose_at = models.DateTimeField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "element"], name="conformance_once_per_element"
            )
        ]
        indexes = [
            models.Index(fields=["clinic", "first_dose_at"]),
            models.Index(fields=["clinic", "element", "status", "-first_dose_at", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.element}: {self.status}"
