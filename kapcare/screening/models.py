"""Medical screening and eligibility.

Versioning: a patient's screening is a series of `MedicalScreening` versions. Each time the
health history is submitted (by the patient in the portal, or by a clinician for them), a
new version is made with its answers; earlier versions stay as they were. The clinician's
review (vitals, a yes/no on each condition, notes) is added to the latest version, and the
sign-off ("screening completed") locks it for good. Nothing is ever deleted: a submitted
history is what the patient said on that day, a completed screening is what the clinician
signed, and an eligibility decision points at the exact version it was based on.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from kapcare.clinics.models import Clinic
from kapcare.kept import KeptRecord
from kapcare.screening import rules


class Severity(models.TextChoices):
    ABSOLUTE = rules.ABSOLUTE, "Absolute (blocks eligibility)"
    RELATIVE = rules.RELATIVE, "Relative (needs a clinician's written justification)"


SEVERITY_BADGES = {rules.ABSOLUTE: "badge-danger", rules.RELATIVE: "badge-warn"}
SEVERITY_SHORT = {rules.ABSOLUTE: "Absolute", rules.RELATIVE: "Relative"}


class Contraindication(models.Model):
    """One entry in a clinic's contraindication catalogue.

    Seeded from `rules.DEFAULT_CONTRAINDICATIONS` the first time the clinic's catalogue is
    needed; the admin may then edit, add or deactivate entries. Entries are never deleted:
    answers point at them (PROTECT) and keep the name and severity they were asked under.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="screening_contraindications"
    )
    code = models.CharField(
        max_length=60, blank=True, editable=False, help_text="Set on the default entries."
    )
    name = models.CharField(max_length=200)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    description = models.TextField(
        blank=True, help_text="What counts, in words the patient and clinician understand."
    )
    source = models.TextField(blank=True, help_text="Where the severity comes from.")
    is_active = models.BooleanField(
        "in use", default=True, help_text="Inactive entries are no longer asked about."
    )
    order = models.PositiveSmallIntegerField(default=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                "clinic", Lower("name"), name="contraindication_name_unique_in_clinic"
            ),
            models.UniqueConstraint(
                fields=["clinic", "code"],
                condition=~models.Q(code=""),
                name="contraindication_code_unique_in_clinic",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_pregnancy(self) -> bool:
        return self.code == rules.PREGNANCY_CODE


class MedicationInteraction(models.Model):
    """A class of medicines that interacts with ketamine, recognised in a patient's
    medication list by keyword (generic and brand names). Seeded from
    `rules.DEFAULT_MEDICATION_INTERACTIONS`; editable by the clinic's admin."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="screening_medication_interactions"
    )
    code = models.CharField(max_length=60, blank=True, editable=False)
    name = models.CharField(max_length=200)
    keywords = models.TextField(
        help_text="Generic and brand names, separated by commas; matched as whole words."
    )
    note = models.TextField(help_text="What the interaction means for ketamine treatment.")
    source = models.TextField(blank=True)
    is_active = models.BooleanField("in use", default=True)
    order = models.PositiveSmallIntegerField(default=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                "clinic", Lower("name"), name="medication_interaction_name_unique_in_clinic"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def as_rule(self) -> rules.InteractionClass:
        return rules.InteractionClass(
            name=self.name,
            keywords=rules.parse_keywords(self.keywords),
            note=self.note,
            code=self.code,
        )


class PregnancyStatus(models.TextChoices):
    NOT_PREGNANT = rules.NOT_PREGNANT, "Not pregnant"
    PREGNANT = rules.PREGNANT, "Pregnant"
    BREASTFEEDING = rules.BREASTFEEDING, "Breastfeeding"
    POSSIBLY_PREGNANT = rules.POSSIBLY_PREGNANT, "Possibly pregnant"
    NOT_APPLICABLE = rules.NOT_APPLICABLE, "Not applicable"


class HistorySource(models.TextChoices):
    PATIENT = "patient", "The patient, in the portal"
    STAFF = "staff", "A clinician, for the patient"
    # Imported from a referring system's FHIR bundle: what the referrer recorded, until a
    # clinician reviews it like any other history.
    REFERRER = "referrer", "Reported by the referrer, in a referral"


class MedicalScreening(KeptRecord):
    """One version of a patient's medical screening: the history as submitted, then the
    clinician's review and sign-off. See the module docstring for the versioning."""

    kept_message = "A completed screening is never deleted; start a new version."
    deletable_rows = models.Q(completed_at__isnull=True)

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="medical_screenings"
    )
    version = models.PositiveIntegerField()

    # The history: what the patient reports.
    history_source = models.CharField(max_length=8, choices=HistorySource.choices)
    history_entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("history submitted", auto_now_add=True)
    allergies = models.TextField(help_text="Medicines, foods or anything else; or 'none known'.")
    reported_pregnancy_status = models.CharField(
        "pregnancy (as reported)", max_length=20, choices=PregnancyStatus.choices
    )
    patient_comments = models.TextField("anything else", blank=True)

    # The clinician's part.
    screened_on = models.DateField("date of screening", null=True, blank=True)
    blood_pressure_systolic = models.PositiveSmallIntegerField(null=True, blank=True)
    blood_pressure_diastolic = models.PositiveSmallIntegerField(null=True, blank=True)
    weight_kg = models.DecimalField(
        "weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    pregnancy_status = models.CharField(
        "pregnancy (confirmed)",
        max_length=20,
        choices=PregnancyStatus.choices,
        blank=True,
        help_text="As confirmed by the clinician; empty until reviewed.",
    )
    clinician_notes = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField("screening completed", null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "version"], name="medical_screening_version_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(blood_pressure_systolic__isnull=True)
                | models.Q(
                    blood_pressure_systolic__gte=rules.SYSTOLIC_RANGE[0],
                    blood_pressure_systolic__lte=rules.SYSTOLIC_RANGE[1],
                ),
                name="medical_screening_systolic_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(blood_pressure_diastolic__isnull=True)
                | models.Q(
                    blood_pressure_diastolic__gte=rules.DIASTOLIC_RANGE[0],
                    blood_pressure_diastolic__lte=rules.DIASTOLIC_RANGE[1],
                ),
                name="medical_screening_diastolic_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(blood_pressure_systolic__isnull=True)
                | models.Q(blood_pressure_diastolic__isnull=True)
                | models.Q(blood_pressure_diastolic__lt=models.F("blood_pressure_systolic")),
                name="medical_screening_diastolic_below_systolic",
            ),
            # Signed off means signed by someone, with the vitals on record.
            models.CheckConstraint(
                condition=models.Q(completed_at__isnull=True, completed_by__isnull=True)
                | models.Q(
                    completed_at__isnull=False,
                    completed_by__isnull=False,
                    screened_on__isnull=False,
                    blood_pressure_systolic__isnull=False,
                    blood_pressure_diastolic__isnull=False,
                    weight_kg__isnull=False,
                ),
                name="medical_screening_completed_is_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"Medical screening v{self.version}"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    @property
    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None

    @property
    def current_pregnancy_status(self) -> str:
        """The clinician's confirmation when there is one, else what the patient said."""
        return self.pregnancy_status or self.reported_pregnancy_status

    def get_current_pregnancy_status_display(self) -> str:
        return PregnancyStatus(self.current_pregnancy_status).label

    @property
    def blood_pressure(self) -> str:
        if self.blood_pressure_systolic is None or self.blood_pressure_diastolic is None:
            return ""
        return f"{self.blood_pressure_systolic}/{self.blood_pressure_diastolic}"


class ConditionAnswer(KeptRecord):
    """The answer about one catalogue condition in one screening version: what the patient
    reported, then what the clinician confirmed. Name and severity are copied as they were
    asked, so editing the catalogue later does not rewrite a past screening."""

    kept_message = "A completed screening is never changed or deleted."
    deletable_rows = models.Q(screening__completed_at__isnull=True)

    screening = models.ForeignKey(
        MedicalScreening, on_delete=models.PROTECT, related_name="condition_answers"
    )
    contraindication = models.ForeignKey(
        Contraindication, on_delete=models.PROTECT, related_name="answers"
    )
    name = models.CharField(max_length=200)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    reported_present = models.BooleanField(
        null=True, blank=True, help_text="Empty when the patient could not say."
    )
    patient_note = models.CharField(max_length=500, blank=True)
    confirmed_present = models.BooleanField(
        null=True, blank=True, help_text="The clinician's finding; empty until reviewed."
    )
    clinician_note = models.CharField(max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["screening", "contraindication"], name="condition_answer_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_present(self) -> bool | None:
        """The clinician's finding once there is one, else the patient's answer."""
        return (
            self.confirmed_present
            if self.confirmed_present is not None
            else (self.reported_present)
        )

    @property
    def severity_badge(self) -> str:
        return SEVERITY_BADGES.get(self.severity, "")

    @property
    def severity_short(self) -> str:
        return SEVERITY_SHORT.get(self.severity, self.severity)


class MedicationEntry(KeptRecord):
    """A current medication as listed in one screening version, with the interaction
    classes it matched when it was entered (name and note copied)."""

    kept_message = "A completed screening is never changed or deleted."
    deletable_rows = models.Q(screening__completed_at__isnull=True)

    screening = models.ForeignKey(
        MedicalScreening, on_delete=models.PROTECT, related_name="medications"
    )
    name = models.CharField(max_length=200)
    dose = models.CharField(max_length=100, blank=True)
    frequency = models.CharField(max_length=100, blank=True)
    interaction_flags = models.JSONField(
        default=list, blank=True, help_text="[{'name': …, 'note': …}] matched on entry."
    )
    clinician_note = models.CharField(max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name_plural = "medication entries"

    def __str__(self) -> str:
        return self.description

    @property
    def description(self) -> str:
        return " ".join(part for part in (self.name, self.dose, self.frequency) if part)

    @property
    def flag_texts(self) -> list[str]:
        return [f"{self.description} — {f['name']}: {f['note']}" for f in self.interaction_flags]


class SubstanceChoice(models.TextChoices):
    ALCOHOL = rules.ALCOHOL, dict(rules.SUBSTANCES)[rules.ALCOHOL]
    CANNABIS = rules.CANNABIS, dict(rules.SUBSTANCES)[rules.CANNABIS]
    STIMULANTS = rules.STIMULANTS, dict(rules.SUBSTANCES)[rules.STIMULANTS]
    OPIOIDS = rules.OPIOIDS, dict(rules.SUBSTANCES)[rules.OPIOIDS]
    DISSOCIATIVES = rules.DISSOCIATIVES, dict(rules.SUBSTANCES)[rules.DISSOCIATIVES]


class UseFrequency(models.TextChoices):
    NEVER = rules.NEVER, "Never"
    NOT_IN_PAST_YEAR = rules.NOT_IN_PAST_YEAR, "Not in the past year"
    MONTHLY_OR_LESS = rules.MONTHLY_OR_LESS, "Monthly or less"
    WEEKLY = rules.WEEKLY, "Weekly"
    DAILY = rules.DAILY, "Daily or almost daily"


class LastUse(models.TextChoices):
    PAST_WEEK = rules.PAST_WEEK, "In the past week"
    PAST_MONTH = rules.PAST_MONTH, "In the past month"
    PAST_YEAR = rules.PAST_YEAR, "In the past year"
    OVER_A_YEAR = rules.OVER_A_YEAR, "More than a year ago"


class SubstanceUse(KeptRecord):
    """How often the patient uses one substance, and when they last did."""

    kept_message = "A completed screening is never changed or deleted."
    deletable_rows = models.Q(screening__completed_at__isnull=True)

    screening = models.ForeignKey(
        MedicalScreening, on_delete=models.PROTECT, related_name="substance_uses"
    )
    substance = models.CharField(max_length=20, choices=SubstanceChoice.choices)
    frequency = models.CharField(max_length=20, choices=UseFrequency.choices)
    last_use = models.CharField(max_length=20, choices=LastUse.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["screening", "substance"], name="substance_use_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_substance_display()}: {self.get_frequency_display()}"


class Decision(models.TextChoices):
    ELIGIBLE = rules.ELIGIBLE, "Eligible"
    ELIGIBLE_WITH_CONDITIONS = rules.ELIGIBLE_WITH_CONDITIONS, "Eligible with conditions"
    NOT_ELIGIBLE = rules.NOT_ELIGIBLE, "Not eligible"


class DecisionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("An eligibility decision is never changed; record a new one.")

    def delete(self):
        raise PermissionError("An eligibility decision is never deleted.")


class EligibilityDecision(models.Model):
    """A clinician's signed eligibility decision. Immutable once made (here, in the
    queryset, and by a database trigger); a newer decision supersedes it. Valid to
    `valid_until` inclusive (eligible kinds only)."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="eligibility_decisions"
    )
    screening = models.ForeignKey(
        MedicalScreening, on_delete=models.PROTECT, related_name="eligibility_decisions"
    )
    decision = models.CharField(max_length=30, choices=Decision.choices)
    reasons = models.TextField(
        blank=True, help_text="What the screening found, one per line, as of the decision."
    )
    conditions = models.TextField(blank=True)
    justification = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now, editable=False)
    valid_until = models.DateField(null=True, blank=True)
    screening_snapshot = models.JSONField(default=dict)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["patient", "-decided_at"], name="eligibility_patient_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision=rules.NOT_ELIGIBLE, valid_until__isnull=True)
                | (~models.Q(decision=rules.NOT_ELIGIBLE) & models.Q(valid_until__isnull=False)),
                name="eligibility_decision_validity",
            ),
            models.CheckConstraint(
                condition=~models.Q(decision=rules.ELIGIBLE_WITH_CONDITIONS)
                | ~models.Q(conditions=""),
                name="eligibility_decision_conditions_written",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.decided_at:%Y-%m-%d})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("An eligibility decision is never changed; record a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("An eligibility decision is never deleted.")

    @property
    def reason_lines(self) -> list[str]:
        return [line for line in self.reasons.splitlines() if line.strip()]
