"""The medical record of a dosing session (docs/clinical-reference.md#dosing-session), run
by a nurse anesthetist with anaesthesia-level monitoring.

`DosingRecord` belongs to one dosing `CareSession` (episodes) and holds the dose, the set
and setting, the dose's start and end, the discharge and the clinician's signature. Vital
signs are stored as observations with their LOINC codes; adverse events, interventions and
infusion changes are rows of their own. Once a clinician signs the record it is immutable
— the database refuses to change it or to add to it (migration 0002) — and later changes
are addenda. The controlled-substance register is append-only: corrections are new
entries.
"""

import uuid

from django.conf import settings
from django.db import models

from kapcare.episodes.models import DoseRoute
from kapcare.kept import KeptRecord, reauthentication_field


class Lighting(models.TextChoices):
    DIM = "dim", "Dimmed"
    DARK = "dark", "Dark"
    NATURAL = "natural", "Natural light"


class Drug(models.TextChoices):
    """The drugs a dosing session may give. Both are Schedule III (21 CFR 1308.13(c)(7));
    esketamine is given only as Spravato, under its REMS, and only where the clinic enabled
    it (`Clinic.esketamine_enabled`; docs/clinical-reference.md#esketamine)."""

    KETAMINE = "ketamine", "Ketamine"
    ESKETAMINE = "esketamine", "Esketamine (Spravato)"


class DosingRecord(KeptRecord):
    kept_message = "A signed dosing record is never deleted; add an addendum instead."
    deletable_rows = models.Q(signed_at__isnull=True)

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.OneToOneField(
        "episodes.CareSession", on_delete=models.PROTECT, related_name="dosing_record"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="dosing_records"
    )
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    # --- The dose ---
    drug = models.CharField(
        max_length=12, choices=Drug.choices, default=Drug.KETAMINE, db_default=Drug.KETAMINE
    )
    route = models.CharField(max_length=12, choices=DoseRoute.choices, blank=True)
    prescribed_mg_per_kg = models.DecimalField(
        "prescribed dose (mg/kg)", max_digits=5, decimal_places=3, null=True, blank=True
    )
    weight_kg = models.DecimalField(
        "weight used (kg)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    weight_measured_on = models.DateField(null=True, blank=True)
    dose_mg = models.DecimalField(
        "dose (mg)", max_digits=7, decimal_places=2, null=True, blank=True
    )
    above_maximum_reason = models.TextField(
        blank=True, help_text="A clinician's reason for a dose above the clinic's maximum."
    )
    prescribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prescribed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The second staff member who checked the dose before it was given.",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    infusion_minutes = models.PositiveSmallIntegerField(
        "infusion duration (minutes)", null=True, blank=True
    )
    lot_number = models.CharField(max_length=40, blank=True)
    lot_expiry = models.DateField("lot expiry", null=True, blank=True)
    # --- Set and setting ---
    music = models.CharField("music or playlist", max_length=200, blank=True)
    eye_shades = models.BooleanField("eye shades offered", default=False)
    lighting = models.CharField(max_length=10, choices=Lighting.choices, blank=True)
    therapist_present = models.BooleanField(
        default=False, help_text="Required for the in-session model."
    )
    # Who "therapist present" named when it was ticked: the episode's therapist then. The
    # in-session gate passes only while it is still the episode's therapist.
    present_therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    intention = models.TextField("the patient's intention for the session", blank=True)
    # --- The course of the session ---
    dose_started_at = models.DateTimeField(null=True, blank=True)
    dose_ended_at = models.DateTimeField(
        null=True, blank=True, help_text="End of the infusion, or when the dose was taken."
    )
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discharge_override_reason = models.TextField(blank=True)
    # A discharge over vital signs still out of range is confirmed by a second clinician,
    # who authenticated on the discharging clinician's screen.
    discharge_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discharge_confirmed_at = models.DateTimeField(null=True, blank=True)
    # How the clinician who discharged against the criteria re-authenticated (`step_up`).
    discharge_override_with = reauthentication_field()
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_with = reauthentication_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "signed_at"])]

    def __str__(self) -> str:
        return f"Dosing record of {self.session}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class VitalSource(models.TextChoices):
    MANUAL = "manual", "Entered by staff"
    DEVICE = "device", "From a monitor or gateway"


class Observation(KeptRecord):
    """One vital sign at one moment, as FHIR's vital-signs profile codes it (LOINC: BP
    systolic 8480-6, diastolic 8462-4, HR 8867-4, RR 9279-1, SpO2 2708-6; sedation on the
    MOAA/S scale). Readings taken together share `reading_id`. Never edited."""

    kept_message = "A signed dosing record is never deleted; add an addendum instead."
    deletable_rows = models.Q(record__signed_at__isnull=True)

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    record = models.ForeignKey(DosingRecord, on_delete=models.PROTECT, related_name="observations")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    reading_id = models.UUIDField(db_index=True)
    vital = models.CharField(max_length=20)
    loinc_code = models.CharField(max_length=12, blank=True)
    value = models.PositiveSmallIntegerField()
    unit = models.CharField(max_length=12)
    taken_at = models.DateTimeField()
    # The threshold the value crossed when it was entered, in words ("≥ 180"); "" if none.
    alert_threshold = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=8, choices=VitalSource.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["taken_at", "id"]
        indexes = [models.Index(fields=["record", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.vital} {self.value} {self.unit} at {self.taken_at:%H:%M}"


class EventKind(models.TextChoices):
    NAUSEA_VOMITING = "nausea_vomiting", "Nausea or vomiting"
    HYPERTENSION = "hypertension", "Hypertension"
    EMERGENCE_REACTION = "emergence_reaction", "Emergence reaction"
    AGITATION = "agitation", "Agitation"
    RESPIRATORY_DEPRESSION = "respiratory_depression", "Respiratory depression"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class AdverseEvent(KeptRecord):
    kept_message = "A signed dosing record is never deleted; add an addendum instead."
    deletable_rows = models.Q(record__signed_at__isnull=True)

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    record = models.ForeignKey(DosingRecord, on_delete=models.PROTECT, related_name="events")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    onset_at = models.DateTimeField()
    description = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["onset_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display().lower()})"


class Intervention(KeptRecord):
    """What was done for an adverse event: a drug with its dose, or another measure."""

    kept_message = "A signed dosing record is never deleted; add an addendum instead."
    deletable_rows = models.Q(record__signed_at__isnull=True)

    event = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="interventions")
    record = models.ForeignKey(DosingRecord, on_delete=models.PROTECT, related_name="+")
    drug = models.CharField("drug or measure", max_length=120)
    dose = models.CharField(max_length=60, blank=True, help_text="For example 4 mg IV.")
    given_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["given_at", "id"]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose}".strip()


class InfusionChangeKind(models.TextChoices):
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    STOPPED = "stopped", "Stopped early"


class InfusionChange(KeptRecord):
    kept_message = "A signed dosing record is never deleted; add an addendum instead."
    deletable_rows = models.Q(record__signed_at__isnull=True)

    record = models.ForeignKey(
        DosingRecord, on_delete=models.PROTECT, related_name="infusion_changes"
    )
    kind = models.CharField(max_length=8, choices=InfusionChangeKind.choices)
    at = models.DateTimeField()
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Infusion {self.get_kind_display().lower()} at {self.at:%H:%M}"


class DischargeAssessment(KeptRecord):
    """A discharge check: the modified Aldrete score (Aldrete 1995: activity, respiration,
    circulation, consciousness, oxygen saturation, each 0–2) and the other criteria of
    docs/clinical-reference.md#discharge. Several may be recorded; the last decides."""

    kept_message = "A signed dosing record is never deleted; add an addendum instead."
    deletable_rows = models.Q(record__signed_at__isnull=True)

    record = models.ForeignKey(
        DosingRecord, on_delete=models.PROTECT, related_name="discharge_assessments"
    )
    assessed_at = models.DateTimeField()
    activity = models.PositiveSmallIntegerField()
    respiration = models.PositiveSmallIntegerField()
    circulation = models.PositiveSmallIntegerField()
    consciousness = models.PositiveSmallIntegerField()
    oxygen_saturation = models.PositiveSmallIntegerField()
    alert_and_oriented = models.BooleanField(default=False)
    escort_present = models.BooleanField(default=False)
    aftercare_given = models.BooleanField("written after-care instructions given", default=False)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["assessed_at", "id"]

    def __str__(self) -> str:
        return f"Discharge check at {self.assessed_at:%H:%M}"

    @property
    def aldrete_score(self) -> int:
        return (
            self.activity
            + self.respiration
            + self.circulation
            + self.consciousness
            + self.oxygen_saturation
        )


class Addendum(KeptRecord):
    """A later change to a signed record, with its author and time; never edited."""

    kept_message = "An addendum is never deleted."

    record = models.ForeignKey(DosingRecord, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["written_at", "id"]
        verbose_name_plural = "addenda"

    def __str__(self) -> str:
        return f"Addendum of {self.written_at:%Y-%m-%d %H:%M}"


class PatientExperience(KeptRecord):
    """What the patient says about the session afterwards, in the portal."""

    kept_message = "A patient's account of a session is never deleted."

    record = models.OneToOneField(
        DosingRecord, on_delete=models.PROTECT, related_name="patient_experience"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    experience = models.TextField("how it was", blank=True)
    dissociation = models.PositiveSmallIntegerField(
        "how disconnected you felt (0 not at all – 10 completely)"
    )
    bring_to_integration = models.TextField("what you want to bring to integration", blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Patient's account of {self.record.session}"


class TherapistSummary(KeptRecord):
    """The session summary for the outside therapist: drafted from the record, edited by
    the clinician, released only under the `session_summaries` scope."""

    kept_message = "A released summary is never deleted."
    deletable_rows = models.Q(released_at__isnull=True)

    record = models.OneToOneField(
        DosingRecord, on_delete=models.PROTECT, related_name="therapist_summary"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    edited_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_with = reauthentication_field()

    def __str__(self) -> str:
        return f"Therapist summary of {self.record.session}"

    @property
    def is_released(self) -> bool:
        return self.released_at is not None


class SubstanceEntryKind(models.TextChoices):
    RECEIVED = "received", "Received into stock"
    DRAWN = "drawn", "Drawn up for a session"
    GIVEN = "given", "Given to the patient"
    WASTED = "wasted", "Wasted (witnessed)"
    RETURNED = "returned", "Returned to stock"
    CORRECTION = "correction", "Correction"
    ADJUSTED = "adjusted", "Adjusted to an inventory count"
    LOST = "lost", "Lost or stolen (reported to the DEA)"


class DosageForm(models.TextChoices):
    """The finished form of a lot, as the DEA's records name it (21 CFR 1304.22(a)(2))."""

    INJECTABLE_SOLUTION = "injectable_solution", "Injectable solution"
    SUBLINGUAL_TABLET = "sublingual_tablet", "Sublingual tablet"
    TROCHE = "troche", "Troche (lozenge)"
    ORAL_SOLUTION = "oral_solution", "Oral solution"
    NASAL_SPRAY = "nasal_spray", "Nasal spray"


class ControlledSubstanceEntry(KeptRecord):
    """One line of the ketamine (Schedule III) register, per lot. Never changed or
    deleted: a mistake is corrected by a new entry that points at it (21 CFR 1304:
    complete and accurate records of each controlled substance received and dispensed)."""

    kept_message = "The controlled-substance register is never deleted; record a correction."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    drug = models.CharField(
        max_length=12, choices=Drug.choices, default=Drug.KETAMINE, db_default=Drug.KETAMINE
    )
    lot_number = models.CharField(max_length=40)
    lot_expiry = models.DateField(null=True, blank=True)
    # What the lot is, as the DEA's records name it (21 CFR 1304.22(a)(2)): taken from the
    # lot's receipt; lines older than these columns may not have them ("not recorded").
    # `drug` above says which drug the clinic's rules apply; this is the label's name.
    drug_name = models.CharField(max_length=80, blank=True)
    strength = models.CharField(max_length=40, blank=True, help_text="For example 50 mg/mL.")
    dosage_form = models.CharField(max_length=24, choices=DosageForm.choices, blank=True)
    ndc = models.CharField("NDC", max_length=13, blank=True)
    kind = models.CharField(max_length=10, choices=SubstanceEntryKind.choices)
    # Milligrams; a correction may be negative.
    amount_mg = models.DecimalField(max_digits=8, decimal_places=2)
    record = models.ForeignKey(
        DosingRecord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="substance_entries",
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [
            models.Index(fields=["clinic", "lot_number", "recorded_at"]),
            # The lots a dose may come from (the record page's choices): only the stock
            # received, not every line each dose and waste adds to the register.
            models.Index(
                fields=["clinic", "-lot_expiry", "lot_number"],
                condition=models.Q(kind="received"),
                name="dosing_register_lots_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="wasted") | models.Q(witness__isnull=False),
                name="waste_has_a_witness",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lot_number}: {self.get_kind_display()} {self.amount_mg} mg"


class VitalsRequestKey(models.Model):
    """An `Idempotency-Key` a device sent with a reading, with a fingerprint of what it sent
    and the answer it got: a retry with the same key (same user, same record) is answered
    from here instead of recording the reading twice. The unique constraint makes two
    concurrent retries safe: the second waits for the first's row, then finds it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey(DosingRecord, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body.")
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "record", "key"], name="dosing_vitals_key_once_per_record"
            )
        ]

    def __str__(self) -> str:
        return f"Idempotency key {self.key}"


# Esketamine's own records (REMS enrolment, nasal devices, the resolution of its effects and
# the monitoring form's submission) live in their part's module, loaded with the app.
from kapcare.dosing.esketamine.models import (  # noqa: E402, F401
    NasalDevice,
    RemsEnrolment,
    RemsFormSubmission,
    ResolutionCheck,
)

# The HL7 v2 messages of bedside monitors that brought readings (their part's module).
from kapcare.dosing.monitors.models import MonitorMessage  # noqa: E402, F401

# The inventories and theft or loss reports of the register (their own module).
from kapcare.dosing.substances.models import (  # noqa: E402, F401
    Inventory,
    InventoryCount,
    RegisterLine,
    RegisterLot,
    TheftLossLine,
    TheftLossReport,
)
