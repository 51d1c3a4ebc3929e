import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from kapcare.clinics.models import Clinic
from kapcare.kept import KeptRecord
from kapcare.patients import rules


class SexAtBirth(models.TextChoices):
    """Sex assigned at birth, as US Core's birth sex extension codes it."""

    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "UNK", "Unknown"
    DECLINED = "ASKU", "Asked but declined"


class Patient(KeptRecord):
    """A person treated by one clinic. Identified in URLs only by `external_id`."""

    kept_message = "A patient's record is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patient_record",
        help_text="The patient's own portal account, when they have one.",
    )
    given_name = models.CharField("given name", max_length=100)
    family_name = models.CharField("family name", max_length=100)
    preferred_name = models.CharField("preferred name", max_length=100, blank=True)
    birth_date = models.DateField("date of birth")
    sex_at_birth = models.CharField(
        "sex assigned at birth", max_length=4, choices=SexAtBirth.choices
    )
    gender_identity = models.CharField("gender identity", max_length=60, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address_line = models.CharField("street address", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField("ZIP code", max_length=12, blank=True)
    emergency_contact_name = models.CharField("emergency contact", max_length=200, blank=True)
    emergency_contact_relationship = models.CharField("relationship", max_length=60, blank=True)
    emergency_contact_phone = models.CharField("emergency contact phone", max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = [Lower("family_name"), Lower("given_name"), "id"]
        indexes = [
            models.Index(Lower("family_name"), Lower("given_name"), name="patient_name_idx"),
            # The clinic's list, newest first, a page at a time; its recently changed.
            models.Index(fields=["clinic", "-created_at", "-id"], name="patient_newest_idx"),
            models.Index(fields=["clinic", "-updated_at"], name="patient_recent_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def display_name(self) -> str:
        """Name as the chart header shows it: preferred name in quotes when given."""
        if self.preferred_name and self.preferred_name != self.given_name:
            return f"{self.given_name} “{self.preferred_name}” {self.family_name}"
        return self.full_name

    def age_on(self, day) -> int:
        return rules.age_on(self.birth_date, day)


class BodyMeasurement(KeptRecord):
    """Weight and/or height on a date. Never edited: a new measurement supersedes it."""

    kept_message = "A body measurement is never deleted; record a new one."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="body_measurements")
    measured_on = models.DateField("date measured")
    weight_kg = models.DecimalField(
        "weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    height_cm = models.DecimalField(
        "height (cm)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-measured_on", "-recorded_at"]
        indexes = [
            # The chart's newest measurements, and its timeline a page at a time.
            models.Index(
                fields=["patient", "-measured_on", "-recorded_at"], name="measurement_newest_idx"
            ),
            models.Index(fields=["patient", "recorded_at"], name="measurement_recorded_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight_kg__isnull=False) | models.Q(height_cm__isnull=False),
                name="body_measurement_has_a_value",
            )
        ]

    def __str__(self) -> str:
        return f"{self.measured_on}: {self.weight_kg or '–'} kg, {self.height_cm or '–'} cm"


class ClinicPatientCount(models.Model):
    """How many patients a clinic has, kept by database triggers on `Patient` in the
    transaction of each insert, move or removal (patients migration 0005), so that the
    number is read as one row instead of counted over the whole clinic. Written only by
    the triggers; a clinic without patients has no row."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    patients = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.patients} patients"


def clinic_patient_count(clinic_id: int) -> int:
    """The number of patients of the clinic, in one read of one row."""
    count = (
        ClinicPatientCount.objects.filter(clinic_id=clinic_id)
        .values_list("patients", flat=True)
        .first()
    )
    return count or 0
