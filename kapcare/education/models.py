"""Patient education: the clinic's pages for each phase of a course, their versions, what
each patient read, and the after-care page handed over at discharge.

- An `EducationPage` is one topic a clinic explains to its patients (what dissociation
  feels like, fasting and the ride home, the room and music, after-care), shown in the
  portal at its `phase`. Its text lives in `EducationVersion`s: editing adds a version,
  as for consents; none is changed or deleted, because read receipts point at them.
- An `EducationReceipt` says that a patient read one version (they pressed "I have read
  this"); the day-of checklist shows it to the clinic.
- An `AfterCareHandover` records the after-care version handed over when a dosing
  session's patient was discharged: emailed through the outbox, printable on the day.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapcare.clinics.models import Clinic
from kapcare.education import rules
from kapcare.kept import KeptRecord


class Phase(models.TextChoices):
    PREPARATION = rules.PREPARATION, "Preparing for your first dose"
    DOSE_DAY = rules.DOSE_DAY, "On the day of a dose"
    AFTER_CARE = rules.AFTER_CARE, "After a dose"


class EducationPage(models.Model):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="education_pages")
    topic = models.SlugField(max_length=40, help_text="The page's address in the portal.")
    phase = models.CharField(max_length=20, choices=Phase.choices)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "topic"], name="education_topic_per_clinic")
        ]

    def __str__(self) -> str:
        return self.topic


class EducationVersion(KeptRecord):
    """One published text of a page. Never changed or deleted once published (the
    database refuses DELETE); the latest is the one patients read."""

    kept_message = "A published education page version is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    page = models.ForeignKey(EducationPage, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(
        max_length=300, help_text="One sentence the portal shows under the title."
    )
    body_markdown = models.TextField()
    change_summary = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["page_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="education_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title}, version {self.number}"


class EducationReceipt(KeptRecord):
    """A patient's "I have read this" on one version; kept for the clinic's record."""

    kept_message = "A read receipt is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="education_receipts"
    )
    version = models.ForeignKey(EducationVersion, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-read_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "version"], name="education_one_receipt_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"Read {self.read_at:%Y-%m-%d}"


class AfterCareHandover(KeptRecord):
    """The after-care page handed over at a dosing session's discharge."""

    kept_message = "An after-care handover is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.OneToOneField(
        "episodes.CareSession", on_delete=models.PROTECT, related_name="after_care_handover"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="after_care_handovers"
    )
    version = models.ForeignKey(EducationVersion, on_delete=models.PROTECT, related_name="+")
    handed_at = models.DateTimeField(default=timezone.now)
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    emailed_to = models.EmailField(
        blank=True, help_text="Where the link was emailed; empty when the patient has no email."
    )

    def __str__(self) -> str:
        return f"After-care handed over {self.handed_at:%Y-%m-%d}"
