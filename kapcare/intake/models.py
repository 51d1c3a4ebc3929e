import uuid

from django.conf import settings
from django.db import models

from kapcare.clinics.models import Clinic
from kapcare.intake import rules


class RequestStatus(models.TextChoices):
    NEW = rules.NEW, "New"
    CONTACTED = rules.CONTACTED, "Contacted"
    SCHEDULED = rules.SCHEDULED, "Call scheduled"
    CONVERTED = rules.CONVERTED, "Converted to patient"
    DECLINED = rules.DECLINED, "Declined"


# Badge style per status. The badge always carries the status's name too: colour never
# carries the meaning alone.
STATUS_BADGES = {
    RequestStatus.NEW: "badge-new",
    RequestStatus.CONTACTED: "badge-warn",
    RequestStatus.SCHEDULED: "badge-ok",
    RequestStatus.CONVERTED: "badge-ok",
    RequestStatus.DECLINED: "",
}


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"


class ConsultationRequest(models.Model):
    """Someone asked the clinic for a no-pressure call. Not yet a patient."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="consultation_requests"
    )
    given_name = models.CharField("first name", max_length=100)
    family_name = models.CharField("last name", max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    preferred_contact = models.CharField(
        "how should we reach you?",
        max_length=8,
        choices=ContactMethod.choices,
        default=ContactMethod.PHONE,
    )
    preferred_time = models.CharField("best time to reach you", max_length=200, blank=True)
    hopes = models.TextField("what you hope for", blank=True)
    consent_to_contact = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    patient = models.OneToOneField(
        "patients.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultation_request",
    )
    submitted_from = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The queue: one clinic's requests in a status, oldest first.
            models.Index(fields=["clinic", "status", "created_at"], name="consultation_queue_idx"),
            # The public form's rate limit: requests from one address in the last hour.
            models.Index(fields=["submitted_from", "created_at"], name="consultation_rate_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(email="") | ~models.Q(phone=""),
                name="consultation_request_has_contact",
            ),
            models.CheckConstraint(
                condition=models.Q(consent_to_contact=True),
                name="consultation_request_consents_to_contact",
            ),
            # A request is converted exactly when it is linked to the patient it became.
            models.CheckConstraint(
                condition=(
                    models.Q(status=RequestStatus.CONVERTED, patient__isnull=False)
                    | (~models.Q(status=RequestStatus.CONVERTED) & models.Q(patient__isnull=True))
                ),
                name="consultation_request_converted_has_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name} ({self.get_status_display()})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def is_converted(self) -> bool:
        return self.status == RequestStatus.CONVERTED

    @property
    def status_badge(self) -> str:
        return STATUS_BADGES.get(self.status, "")


class StatusChange(models.Model):
    """One move in a request's status: who, when, from what to what, and why."""

    request = models.ForeignKey(
        ConsultationRequest, on_delete=models.PROTECT, related_name="status_changes"
    )
    from_status = models.CharField(max_length=12, choices=RequestStatus.choices)
    to_status = models.CharField(max_length=12, choices=RequestStatus.choices)
    note = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_status=models.F("to_status")),
                name="status_change_changes_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"

    @property
    def from_badge(self) -> str:
        return STATUS_BADGES.get(self.from_status, "")

    @property
    def to_badge(self) -> str:
        return STATUS_BADGES.get(self.to_status, "")
