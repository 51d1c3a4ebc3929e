"""Referrals received from other systems, and the identifiers they know a patient by.

A referral is kept for good, whatever became of it: it is the record of what another
system told the clinic, and of who decided whom it was about.
"""

import uuid

from django.conf import settings
from django.db import models

from kapcare.clinics.models import Clinic
from kapcare.kept import KeptRecord


class PatientIdentifier(KeptRecord):
    """An identifier another system gave a patient (FHIR `Patient.identifier`: a system URI
    and a value), so that its next referral finds the same patient. Unique in a clinic: one
    identifier never names two of its patients."""

    kept_message = "A patient's identifier from another system is never deleted."

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="outside_identifiers"
    )
    system = models.CharField(max_length=255)
    value = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "system", "value"], name="patient_identifier_unique_in_clinic"
            )
        ]

    def __str__(self) -> str:
        return f"{self.system}|{self.value}"


class ReferralStatus(models.TextChoices):
    IMPORTED = "imported", "Imported"
    NEEDS_REVIEW = "needs_review", "Waiting for a coordinator to say who it is"
    RESOLVED = "resolved", "Imported after review"


class Resolution(models.TextChoices):
    MATCHED = "matched", "Matched to an existing patient"
    CREATED = "created", "A new patient was registered"


class Referral(KeptRecord):
    """One FHIR transaction Bundle received from a referring system: what was kept of it
    (`content`, see `bundle.Referral`), whom it was matched to, and the answer sent back.

    A bundle received again (the same bytes, `digest`) is answered with the first answer,
    never imported twice. An ambiguous match waits (`NEEDS_REVIEW`) until a coordinator
    picks the patient or registers a new one; that decision is signed (`resolved_by`,
    `resolved_at`) and made once."""

    kept_message = "A referral is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="referrals")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the bundle as received.")
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True)
    referred_name = models.CharField(max_length=201)
    referred_birth_date = models.DateField()
    content = models.JSONField()
    status = models.CharField(max_length=12, choices=ReferralStatus.choices)
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    candidates = models.ManyToManyField(
        "patients.Patient", blank=True, related_name="+", help_text="The possible matches."
    )
    screening = models.ForeignKey(
        "screening.MedicalScreening",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.CharField(max_length=8, choices=Resolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    response = models.JSONField(default=dict, help_text="The transaction-response sent.")

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["clinic", "status", "received_at"], name="referral_queue_idx")
        ]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "digest"], name="referral_digest_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="needs_review") | models.Q(patient__isnull=True),
                name="referral_under_review_has_no_patient",
            ),
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True, resolved_by__isnull=True)
                | models.Q(resolved_at__isnull=False, resolved_by__isnull=False),
                name="referral_resolution_is_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral of {self.received_at:%Y-%m-%d}"

    @property
    def needs_review(self) -> bool:
        return self.status == ReferralStatus.NEEDS_REVIEW
