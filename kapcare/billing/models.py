"""The money side's records: the patient's coverage status, the clinic's code table and
Good Faith Estimates. Every row here is written once and kept (the database refuses
UPDATE and DELETE: migration 0001); a change is a new row that says why."""

import uuid

from django.conf import settings
from django.db import models

from kapcare.kept import KeptRecord


class Coverage(models.TextChoices):
    """What the clinic must ask at scheduling (45 CFR 149.610(b))."""

    UNINSURED = "uninsured", "Uninsured"
    SELF_PAY = "self_pay", "Insured, paying for themselves (no claim to the insurer)"
    FILING_CLAIM = "filing_claim", "Insured, filing a claim with the insurer"


# Who is owed a Good Faith Estimate: "uninsured or self-pay individuals" (45 CFR 149.610(a)).
NEEDS_ESTIMATE = frozenset({Coverage.UNINSURED, Coverage.SELF_PAY})


class CoverageRecord(KeptRecord):
    """One answer to "are you insured, and will you file a claim?". The newest is the
    patient's status; the earlier ones are its history."""

    kept_message = "A patient's coverage history is never deleted; record a new answer."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="coverage_records"
    )
    status = models.CharField(max_length=12, choices=Coverage.choices)
    insurer = models.CharField(max_length=120, blank=True)
    member_id = models.CharField("member ID", max_length=60, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["patient", "-recorded_at", "-id"])]

    def __str__(self) -> str:
        return self.get_status_display()

    @property
    def needs_estimate(self) -> bool:
        return self.status in NEEDS_ESTIMATE


class BillingCode(KeptRecord):
    """One version of one line of the clinic's code table (`key` names the service). The
    newest version of each key is the line in use; an edit writes a new version with its
    reason, so what an estimate or a charge was coded with stays readable."""

    kept_message = "A code table's versions are never deleted; switch the line off instead."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=40)
    version = models.PositiveIntegerField()
    system = models.CharField(max_length=8, choices=[("CPT", "CPT"), ("HCPCS", "HCPCS")])
    code = models.CharField(max_length=8)
    description = models.CharField(max_length=200)
    modifiers = models.CharField(
        max_length=20, blank=True, help_text="E.g. 25 or JZ, comma-separated."
    )
    ndc = models.CharField(
        "NDC", max_length=13, blank=True, help_text="For a drug: the vial's NDC."
    )
    price = models.DecimalField(
        "own price (USD)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Leave empty when the line is included in the session's price.",
    )
    is_active = models.BooleanField("in use", default=True)
    source = models.TextField(help_text="Where the code is defined.")
    reason = models.CharField(max_length=300, blank=True, help_text="Why this version.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "key", "version"], name="one_code_version"),
            models.CheckConstraint(
                condition=models.Q(price__gte=0) | models.Q(price__isnull=True),
                name="code_price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class GoodFaithEstimate(KeptRecord):
    """A Good Faith Estimate as issued: every element of 45 CFR 149.610(c) frozen in
    `content` (the PDF is rendered from it, so it reads the same in six years), never
    changed (a change issues a new version naming the one it replaces and why) and kept at
    least 6 years (45 CFR 149.610; never deleted here)."""

    kept_message = "A Good Faith Estimate is kept at least 6 years: never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="good_faith_estimates"
    )
    episode = models.ForeignKey("episodes.Episode", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=300)
    is_requested = models.BooleanField(default=False)
    scheduled_on = models.DateField(help_text="When the service was scheduled or requested.")
    due_on = models.DateField(null=True, blank=True)
    due_rule = models.CharField(max_length=10, blank=True)
    covers_until = models.DateField()
    content = models.JSONField()
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the content.")
    total = models.DecimalField(max_digits=10, decimal_places=2)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "version"], name="one_estimate_version")
        ]
        indexes = [
            models.Index(fields=["patient", "-issued_at", "-id"]),
            models.Index(fields=["clinic", "-issued_at", "-id"]),
        ]

    def __str__(self) -> str:
        return f"Good Faith Estimate {self.version}"

    @property
    def is_late(self) -> bool:
        return self.due_on is not None and self.issued_at.date() > self.due_on


# The ledger's records live in their own package (a folder per part).
from kapcare.billing.ledger.models import (  # noqa: E402, F401
    Charge,
    ChargeOrigin,
    ChargeVoid,
    PackageDrawDown,
    PackageProduct,
    PackageRefund,
    PackageSale,
    Payment,
    PaymentKind,
    PaymentMethod,
)
