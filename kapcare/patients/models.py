import uuid

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
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
    # The short number staff read out and type ("KC-004217", `record_id`): the clinic's
    # next in sequence, given in the transaction that inserts the patient (`save`).
    record_number = models.PositiveIntegerField(null=True, blank=True, editable=False)
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
        constraints = [
            # Partial (numbered rows only; NULLs never clash anyway), so that SQLite adds
            # it as an index instead of rebuilding the table, which would drop the
            # table's triggers (migration 0005's count, the never-deleted guard).
            models.UniqueConstraint(
                fields=["clinic", "record_number"],
                condition=models.Q(record_number__isnull=False),
                name="patient_record_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        """A new patient takes the clinic's next record number in the same transaction
        as its insert, so a rolled-back registration leaves no number used by anyone
        else and two registrations at once never share one."""
        if self._state.adding and self.record_number is None:
            with transaction.atomic():
                self.record_number = next_record_number(self.clinic_id)
                return super().save(*args, **kwargs)
        return super().save(*args, **kwargs)

    @property
    def record_id(self) -> str:
        """The record number as staff read it: "KC-004217"."""
        return rules.record_id(self.record_number) if self.record_number else ""

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


class RecordNumberCounter(models.Model):
    """The last record number a clinic gave. `next_record_number` raises it by one in the
    transaction that registers a patient: the row stays locked until that transaction
    ends, so on PostgreSQL concurrent registrations queue for it (and SQLite writes one at
    a time anyway)."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"last record number {self.last_number}"


def next_record_number(clinic_id: int) -> int:
    """The clinic's next record number, taken in the caller's transaction."""
    with transaction.atomic():
        counters = RecordNumberCounter.objects.filter(clinic_id=clinic_id)
        if not counters.update(last_number=F("last_number") + 1):
            # The clinic's first patient: a concurrent first insert is ignored, not an error.
            RecordNumberCounter.objects.bulk_create(
                [RecordNumberCounter(clinic_id=clinic_id, last_number=0)], ignore_conflicts=True
            )
            counters.update(last_number=F("last_number") + 1)
        return counters.values_list("last_number", flat=True).get()


def clinic_patient_count(clinic_id: int) -> int:
    """The number of patients of the clinic, in one read of one row."""
    count = (
        ClinicPatientCount.objects.filter(clinic_id=clinic_id)
        .values_list("patients", flat=True)
        .first()
    )
    return count or 0
