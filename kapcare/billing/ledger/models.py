"""The ledger's records: charges (and their voids), payments and refunds, prepaid packages
sold and drawn down. Every row is written once and kept: the database refuses UPDATE and
DELETE (billing migration 0003), a mistake is voided or refunded by a new row, and the
balance is summed from the rows, never stored (docs/billing-reference.md#the-ledger)."""

import uuid

from django.conf import settings
from django.db import models

from kapcare.billing.ledger import rules
from kapcare.kept import KeptRecord, reauthentication_field

MONEY = {"max_digits": 10, "decimal_places": 2}


class ChargeOrigin(models.TextChoices):
    SESSION = "session", "Session completed"
    LATE_CANCEL = "late_cancel", "Late-cancellation fee"
    NO_SHOW = "no_show", "No-show fee"
    CORRECTION = "correction", "Correction"


class Charge(KeptRecord):
    """One code line charged to a patient: what the code table said when it was posted
    (code, modifiers, units, unit price), frozen. Never changed: voided with a reason
    (`ChargeVoid`) and, if need be, replaced by a corrected line (`replaces`)."""

    kept_message = "A charge is never deleted: void it with a reason."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(
        "episodes.Episode", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        "episodes.CareSession", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session_change = models.ForeignKey(
        "scheduling.SessionChange",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    origin = models.CharField(max_length=12, choices=ChargeOrigin.choices)
    key = models.CharField(max_length=40, help_text="The code table's line (or the fee).")
    system = models.CharField(max_length=8, blank=True)
    code = models.CharField(max_length=8, blank=True)
    description = models.CharField(max_length=200)
    modifiers = models.CharField(max_length=20, blank=True)
    ndc = models.CharField("NDC", max_length=13, blank=True)
    units = models.PositiveSmallIntegerField(default=1)
    unit_price = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    note = models.CharField(max_length=200, blank=True)
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service_on = models.DateField()
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["posted_at", "id"]
        indexes = [models.Index(fields=["patient", "posted_at", "id"])]
        constraints = [
            # Posting a session twice never doubles it: one line per code per session.
            models.UniqueConstraint(
                fields=["session", "key"],
                condition=models.Q(origin="session"),
                name="charge_once_per_session_code",
            ),
            # A late-cancellation or no-show fee once per change.
            models.UniqueConstraint(
                fields=["session_change"],
                condition=models.Q(session_change__isnull=False),
                name="fee_once_per_session_change",
            ),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="charge_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code or self.get_origin_display()} {self.total}"


class ChargeVoid(KeptRecord):
    """A charge taken back, with why and who (re-authenticated at the moment): at most one
    per charge."""

    kept_message = "A void is never deleted."

    charge = models.OneToOneField(Charge, on_delete=models.PROTECT, related_name="void")
    reason = models.CharField(max_length=300)
    voided_at = models.DateTimeField()
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    voided_with = reauthentication_field()

    def __str__(self) -> str:
        return f"Void of {self.charge}"


class PaymentMethod(models.TextChoices):
    CARD = rules.CARD_TERMINAL, rules.METHODS[rules.CARD_TERMINAL]
    CASH = rules.CASH, rules.METHODS[rules.CASH]
    CHECK = rules.CHECK, rules.METHODS[rules.CHECK]
    HSA_FSA = rules.HSA_FSA, rules.METHODS[rules.HSA_FSA]
    PROCESSOR = rules.PROCESSOR, rules.METHODS[rules.PROCESSOR]


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"


class PackageProduct(models.Model):
    """A prepaid package the clinic sells, e.g. an induction series of 6 doses at a package
    price. A sale copies its name, sessions and price, so a later change never alters
    what a patient bought."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    sessions = models.PositiveSmallIntegerField()
    price = models.DecimalField(**MONEY)
    is_active = models.BooleanField("on sale", default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(sessions__gte=1), name="package_sessions"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="package_price"),
        ]

    def __str__(self) -> str:
        return self.name


class PackageSale(KeptRecord):
    """A package sold to a patient: `sessions` doses prepaid at `price`, drawn down one per
    completed dose (`PackageDrawDown`)."""

    kept_message = "A package sale is never deleted: refund it."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(PackageProduct, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    sessions = models.PositiveSmallIntegerField()
    price = models.DecimalField(**MONEY)
    sold_at = models.DateTimeField()
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["sold_at", "id"]
        indexes = [models.Index(fields=["patient", "sold_at", "id"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.sessions} sessions)"


class PackageDrawDown(KeptRecord):
    """One completed dose taken from a package: it credits the session's charges, so a
    prepaid dose owes nothing more. One per session (never drawn twice)."""

    kept_message = "A package draw-down is never deleted."

    package = models.ForeignKey(PackageSale, on_delete=models.PROTECT, related_name="draw_downs")
    session = models.OneToOneField(
        "episodes.CareSession", on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)
    drawn_at = models.DateTimeField()

    class Meta:
        ordering = ["drawn_at", "id"]

    def __str__(self) -> str:
        return f"{self.package} drawn for {self.session_id}"


class PackageRefund(KeptRecord):
    """A package closed early: its unused part credited by the clinic's rule
    (`rules.package_refund`); the money handed back is a refund `Payment`. No session is
    drawn from it afterwards."""

    kept_message = "A package refund is never deleted."

    package = models.OneToOneField(PackageSale, on_delete=models.PROTECT, related_name="refund")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    unused = models.PositiveSmallIntegerField()
    amount = models.DecimalField(**MONEY)
    explanation = models.CharField(max_length=200)
    refunded_at = models.DateTimeField()
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Refund of {self.package}"


class Payment(KeptRecord):
    """Money in (a payment, perhaps a deposit holding a booked session, perhaps for a
    package) or out (a refund of an earlier payment, never more than it left unrefunded).
    `amount` is always positive; `kind` says which way it went."""

    kept_message = "A payment is never deleted: record a refund."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=PaymentKind.choices)
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    amount = models.DecimalField(**MONEY)
    reference = models.CharField(max_length=80, blank=True)
    note = models.CharField(max_length=300, blank=True)
    is_deposit = models.BooleanField(default=False)
    session = models.ForeignKey(
        "episodes.CareSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The booked session a deposit holds.",
    )
    package = models.ForeignKey(
        PackageSale, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["patient", "recorded_at", "id"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=models.Q(kind="payment", refund_of__isnull=True)
                | models.Q(kind="refund", refund_of__isnull=False),
                name="refund_names_its_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
