import uuid

from django.conf import settings
from django.db import models

from kapcare.kept import KeptRecord
from kapcare.measures.instruments import INSTRUMENTS, LICENSED_SCALES

INSTRUMENT_CHOICES = [(i.id, i.short_name) for i in INSTRUMENTS.values()]
LICENSED_SCALE_CHOICES = [(s.id, s.short_name) for s in LICENSED_SCALES.values()]


class AssessmentStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class Source(models.TextChoices):
    PORTAL = "portal", "Patient, in the portal"
    LINK = "link", "Patient, through a link"
    STAFF = "staff", "Entered by staff for the patient"
    REFERRER = "referrer", "Sent by the referrer, in a referral"


class Assessment(KeptRecord):
    """One completion of an instrument by a patient. Answers are kept as given; the total,
    band and flags are computed by `measures.scoring` when it is completed. A completed
    assessment is never edited."""

    kept_message = "A completed questionnaire is never deleted."
    deletable_rows = models.Q(completed_at__isnull=True)

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="assessments"
    )
    instrument = models.CharField(max_length=20, choices=INSTRUMENT_CHOICES)
    status = models.CharField(
        max_length=12, choices=AssessmentStatus.choices, default=AssessmentStatus.IN_PROGRESS
    )
    answers = models.JSONField(default=list, help_text="One entry per item; null where unanswered.")
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    flags = models.JSONField(default=list, blank=True)
    details = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who typed the answers: the patient, or staff on the patient's behalf.",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-completed_at", "-started_at"]
        indexes = [
            models.Index(fields=["patient", "instrument", "-completed_at"]),
            # The chart's timeline, a page at a time.
            models.Index(fields=["patient", "completed_at"], name="assessment_completed_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="in_progress") | models.Q(completed_at__isnull=False),
                name="completed_assessment_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.completed_at or 'in progress'}"

    @property
    def definition(self):
        return INSTRUMENTS[self.instrument]

    @property
    def is_completed(self) -> bool:
        return self.status == AssessmentStatus.COMPLETED


class LicensedScaleResult(KeptRecord):
    """The total of a copyrighted scale (BDI-II, BAI, HAM-A, MADRS, CADSS), recorded by a
    clinician; the items themselves are not reproduced."""

    kept_message = "A recorded scale result is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="licensed_scale_results"
    )
    scale = models.CharField(max_length=10, choices=LICENSED_SCALE_CHOICES)
    total = models.PositiveSmallIntegerField()
    administered_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-administered_on", "-recorded_at"]

    def __str__(self) -> str:
        return f"{self.get_scale_display()} {self.total} on {self.administered_on}"


class AssessmentLink(models.Model):
    """A single-purpose link that opens one questionnaire for one patient, without a
    password. Only the token's SHA-256 is stored; it expires and works once."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="assessment_links"
    )
    instrument = models.CharField(max_length=20, choices=INSTRUMENT_CHOICES)
    token_hash = models.CharField(max_length=64, unique=True)
    # Empty when kapcare sent it by itself (the long-term follow-up schedule).
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_to = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    assessment = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="link"
    )
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} link sent {self.created_at:%Y-%m-%d}"


class AlertKind(models.TextChoices):
    SUICIDAL_IDEATION = "suicidal_ideation", "PHQ-9 item 9 answered above 0"
    SUICIDE_RISK_HIGH = "suicide_risk_high", "C-SSRS screen: high risk"


class SafetyAlert(KeptRecord):
    """Raised in the same transaction as the answer that caused it; shown on every
    clinician's and coordinator's home page until a clinician records a safety review.
    Never dismissed without a review, never deleted."""

    kept_message = "A safety alert is never deleted; record a review instead."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_alerts"
    )
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=24, choices=AlertKind.choices)
    raised_at = models.DateTimeField(auto_now_add=True, db_index=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.TextField(
        blank=True, help_text="What was done: contact made, safety plan, referral."
    )

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["clinic", "reviewed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reviewed_at__isnull=True)
                | (models.Q(reviewed_by__isnull=False) & ~models.Q(review_note="")),
                name="safety_review_names_who_and_what",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({'open' if self.is_open else 'reviewed'})"

    @property
    def is_open(self) -> bool:
        return self.reviewed_at is None
