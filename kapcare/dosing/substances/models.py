"""The DEA records kept beside the ketamine register (docs/clinical-reference.md#dea-records):
inventories (21 CFR 1304.11) with their count of each lot, and theft or loss reports with
the data of DEA Form 106 (21 CFR 1301.76(b)). Each is signed by a licensed person of the
clinic who re-authenticated at that moment, and never deleted; what was counted or lost is
never changed (the database refuses both: dosing migration 0009)."""

import uuid

from django.conf import settings
from django.db import models

# `dosing.models` imports this module at its end, once `DosageForm` is defined.
from kapcare.dosing.models import DosageForm
from kapcare.kept import KeptRecord


class InventoryKind(models.TextChoices):
    INITIAL = "initial", "Initial inventory (21 CFR 1304.11(b))"
    BIENNIAL = "biennial", "Biennial inventory (21 CFR 1304.11(c))"
    CHANGE_OF_REGISTRANT = "change_of_registrant", "Inventory on a change of registrant"


class BusinessMoment(models.TextChoices):
    """21 CFR 1304.11(a): the inventory says whether it was taken as of the opening or the
    close of business."""

    OPENING = "opening", "Opening of business"
    CLOSE = "close", "Close of business"


class Inventory(KeptRecord):
    """A dated, signed count of every lot on hand. The registrant's name, DEA number and
    address are copied from the clinic's settings when it is taken, as they stood then."""

    kept_message = "An inventory of controlled substances is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=InventoryKind.choices)
    taken_on = models.DateField()
    taken_as_of = models.CharField(max_length=8, choices=BusinessMoment.choices)
    registrant_name = models.CharField(max_length=200)
    registration_number = models.CharField("DEA registration number", max_length=9, blank=True)
    registrant_address = models.TextField(blank=True)
    # On a change of registrant: the registration the stock leaves and the one it goes to.
    previous_registration_number = models.CharField(max_length=9, blank=True)
    new_registration_number = models.CharField(max_length=9, blank=True)
    note = models.TextField(blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # How the person taking it proved it was them at the moment (`step_up`).
    signed_with = models.CharField(max_length=16)
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["-taken_on", "-signed_at", "-id"]
        indexes = [models.Index(fields=["clinic", "-taken_on"])]
        verbose_name_plural = "inventories"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.taken_on:%Y-%m-%d}"


class InventoryCount(KeptRecord):
    """One lot counted: the register's stock at the count and what was found, and for a
    difference the reason and, when the register was brought to the count, its adjustment."""

    kept_message = "An inventory of controlled substances is never deleted."

    inventory = models.ForeignKey(Inventory, on_delete=models.PROTECT, related_name="counts")
    lot_number = models.CharField(max_length=40)
    lot_expiry = models.DateField(null=True, blank=True)
    drug_name = models.CharField(max_length=80, blank=True)
    strength = models.CharField(max_length=40, blank=True)
    dosage_form = models.CharField(max_length=24, choices=DosageForm.choices, blank=True)
    expected_mg = models.DecimalField(max_digits=8, decimal_places=2)
    counted_mg = models.DecimalField(max_digits=8, decimal_places=2)
    reason = models.TextField(blank=True)
    adjustment = models.OneToOneField(
        "dosing.ControlledSubstanceEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inventory_count",
    )

    class Meta:
        ordering = ["lot_number", "id"]

    def __str__(self) -> str:
        return f"Lot {self.lot_number}: {self.counted_mg} mg counted"

    @property
    def difference_mg(self):
        return self.counted_mg - self.expected_mg

    @property
    def is_discrepancy(self) -> bool:
        return self.counted_mg != self.expected_mg


class LossKind(models.TextChoices):
    """The type of theft or loss, as DEA Form 106 asks it."""

    NIGHT_BREAK_IN = "night_break_in", "Night break-in"
    ARMED_ROBBERY = "armed_robbery", "Armed robbery"
    EMPLOYEE_PILFERAGE = "employee_pilferage", "Employee pilferage"
    CUSTOMER_THEFT = "customer_theft", "Customer theft"
    LOST_IN_TRANSIT = "lost_in_transit", "Lost in transit"
    OTHER = "other", "Other (described below)"


class TheftLossReport(KeptRecord):
    """A theft or significant loss of ketamine, with the data of DEA Form 106. The lost
    amounts are posted to the register as signed lines of their own (`TheftLossLine.entry`).
    Filed once; then only its submission to the DEA is recorded (who, when, the DEA's
    confirmation), once."""

    kept_message = "A theft or loss report is never deleted."

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    registrant_name = models.CharField(max_length=200)
    registration_number = models.CharField("DEA registration number", max_length=9, blank=True)
    registrant_address = models.TextField(blank=True)
    discovered_on = models.DateField("date of discovery")
    kind = models.CharField("type of theft or loss", max_length=20, choices=LossKind.choices)
    police_notified = models.BooleanField(default=False)
    police_department = models.CharField(max_length=200, blank=True)
    police_report_number = models.CharField(max_length=60, blank=True)
    description = models.TextField()
    notify_by = models.DateField(help_text="Written notice to the DEA Field Division Office.")
    form_106_by = models.DateField()
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_with = models.CharField(max_length=16)
    filed_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dea_confirmation = models.CharField("DEA confirmation", max_length=100, blank=True)

    class Meta:
        ordering = ["-discovered_on", "-filed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} discovered {self.discovered_on:%Y-%m-%d}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class TheftLossLine(KeptRecord):
    """One lot of a theft or loss, and its line in the register."""

    kept_message = "A theft or loss report is never deleted."

    report = models.ForeignKey(TheftLossReport, on_delete=models.PROTECT, related_name="lines")
    lot_number = models.CharField(max_length=40)
    drug_name = models.CharField(max_length=80, blank=True)
    strength = models.CharField(max_length=40, blank=True)
    dosage_form = models.CharField(max_length=24, choices=DosageForm.choices, blank=True)
    ndc = models.CharField("NDC", max_length=13, blank=True)
    quantity_mg = models.DecimalField(max_digits=8, decimal_places=2)
    entry = models.OneToOneField(
        "dosing.ControlledSubstanceEntry", on_delete=models.PROTECT, related_name="loss_line"
    )

    class Meta:
        ordering = ["lot_number", "id"]

    def __str__(self) -> str:
        return f"Lot {self.lot_number}: {self.quantity_mg} mg"


class RegisterLot(models.Model):
    """A lot of the register as its lines reconcile (`substances.rules.reconcile`), restated
    by `substances.lots.restate` in the transaction that writes a line, under a lock on this
    row: what the register's pages show of a lot (its stock, what was received, its
    discrepancies) without reading its history. Derived from the lines, which stay the
    record; `manage.py restate_register` rebuilds it."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    lot_number = models.CharField(max_length=40)
    first_entry = models.ForeignKey(
        "dosing.ControlledSubstanceEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # As the lot's first receipt recorded them (none: the lot was never received).
    is_received = models.BooleanField(default=False)
    drug = models.CharField(max_length=12, blank=True)
    lot_expiry = models.DateField(null=True, blank=True)
    first_recorded_at = models.DateTimeField(null=True, blank=True)
    last_recorded_at = models.DateTimeField(null=True, blank=True)
    line_count = models.PositiveIntegerField(default=0)
    stock_mg = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    received_mg = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # Each discrepancy of the lot in its sentence (`rules.Lot.discrepancies`).
    discrepancies = models.JSONField(default=list, blank=True)
    # Stock left, or a discrepancy: the register page shows its latest lines.
    is_open = models.BooleanField(default=False)

    class Meta:
        ordering = ["first_recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "lot_number"], name="dosing_register_lot_once"
            )
        ]

    def __str__(self) -> str:
        return f"Lot {self.lot_number}"


class RegisterLine(models.Model):
    """A line of the register with its place in its lot (1 for the first) and the lot's
    stock after it, written by `substances.lots.restate` with the line: a lot's page reads
    one page of these by (clinic, lot, line number) instead of reconciling the lot."""

    entry = models.OneToOneField(
        "dosing.ControlledSubstanceEntry",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="register_line",
    )
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    lot_number = models.CharField(max_length=40)
    line_number = models.PositiveIntegerField()
    recorded_at = models.DateTimeField()
    stock_change_mg = models.DecimalField(max_digits=12, decimal_places=2)
    balance_after_mg = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["clinic", "lot_number", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "lot_number", "line_number"], name="dosing_register_line_place"
            )
        ]
        indexes = [
            # The printed register: a period's lines of the clinic, in the order recorded.
            models.Index(fields=["clinic", "recorded_at", "entry"]),
            # A lot's first line in or after a period.
            models.Index(fields=["clinic", "lot_number", "recorded_at"]),
        ]

    def __str__(self) -> str:
        return f"Lot {self.lot_number}, line {self.line_number}"

    @property
    def is_below_zero(self) -> bool:
        return self.balance_after_mg < 0
