"""Forms of the DEA records: an inventory (one count per lot on hand), a theft or loss
report (DEA Form 106's data, one amount per lot), its submission to the DEA, and the
printed register's period. They parse what was typed; the rules are `inventory`'s. The
person signing re-enters their password (and code) in the same form (`StepUpMixin`), checked
last so that a code is not used up by a form refused for another field."""

from django import forms

from kapcare.accounts.second_factor_forms import StepUpMixin
from kapcare.dosing.models import DosageForm
from kapcare.dosing.substances.inventory.services import OnHand, field_name
from kapcare.dosing.substances.models import BusinessMoment, InventoryKind, LossKind
from kapcare.dosing.substances.rules import mg

_AMOUNT = {"inputmode": "decimal", "step": "0.01"}
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _amount_field(label: str, *, required: bool, help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=0,
        max_digits=8,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs=_AMOUNT),
        error_messages={
            "required": "Enter the amount in mg (0 if none).",
            "invalid": "Enter a number of mg, for example 36.2.",
            "max_decimal_places": "Enter at most two decimals (0.01 mg).",
            "max_digits": "This amount is too large for the register.",
            "max_whole_digits": "This amount is too large for the register.",
            "min_value": "The amount cannot be below 0 mg.",
        },
    )


def lot_label(lot: OnHand) -> str:
    """“Lot KET-2611: Ketamine hydrochloride 50 mg/mL, injectable solution”."""
    identity = lot.identity
    form = identity.get("dosage_form")
    what = " ".join(part for part in (identity.get("drug_name"), identity.get("strength")) if part)
    if form:
        what = f"{what}, {DosageForm(form).label.lower()}" if what else DosageForm(form).label
    return f"Lot {lot.lot_number}: {what or 'strength and form not recorded'}"


class _PerLot(StepUpMixin, forms.Form):
    """A form with fields per lot (`lot_<i>_…`, the lot's number hidden, the others from
    the subclass's `add_lot_fields`), the re-authentication moved after them."""

    def __init__(self, *args, lots: list[OnHand], **kwargs):
        super().__init__(*args, **kwargs)
        self.lots = lots
        for index, lot in enumerate(lots):
            self.fields[field_name(index, "number")] = forms.CharField(
                widget=forms.HiddenInput, initial=lot.lot_number, max_length=40
            )
            self.add_lot_fields(index, lot)
        self.move_step_up_last()

    def lot_rows(self):
        """(lot, its bound fields by part) for the template."""
        parts = self.lot_parts
        return [
            (lot, {part: self[field_name(index, part)] for part in parts})
            for index, lot in enumerate(self.lots)
        ]

    def lot_value(self, index: int, part: str):
        return self.cleaned_data.get(field_name(index, part))


class InventoryForm(_PerLot):
    lot_parts = ("number", "counted_mg", "reason", "adjust")

    kind = forms.ChoiceField(
        label="Kind of inventory",
        choices=InventoryKind.choices,
        initial=InventoryKind.BIENNIAL,
        error_messages={"required": "Choose the kind of inventory."},
    )
    taken_as_of = forms.ChoiceField(
        label="Taken as of",
        choices=BusinessMoment.choices,
        widget=forms.RadioSelect,
        help_text="21 CFR 1304.11(a): the inventory says which.",
        error_messages={"required": "Say whether the count is as of the opening or the close."},
    )
    previous_registration_number = forms.CharField(
        label="Previous DEA registration number",
        required=False,
        max_length=9,
        help_text="On a change of registrant only: the registration the stock leaves.",
    )
    new_registration_number = forms.CharField(
        label="New DEA registration number",
        required=False,
        max_length=9,
        help_text="On a change of registrant only: the registration the stock goes to.",
    )
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "inventory_%s")
        super().__init__(*args, **kwargs)

    def add_lot_fields(self, index: int, lot: OnHand) -> None:
        self.fields[field_name(index, "counted_mg")] = _amount_field(
            f"Counted of lot {lot.lot_number} (mg)",
            required=True,
            help_text="Every opened and sealed vial of the lot, in mg.",
        )
        self.fields[field_name(index, "reason")] = forms.CharField(
            label=f"Why lot {lot.lot_number}'s count differs from the register",
            required=False,
            max_length=2000,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text="Only when it differs.",
        )
        self.fields[field_name(index, "adjust")] = forms.BooleanField(
            label=f"Bring lot {lot.lot_number}'s register to the count",
            required=False,
            help_text="A signed adjustment line. Leave it unticked for a theft or loss, "
            "which is reported instead.",
        )


class TheftLossForm(_PerLot):
    lot_parts = ("number", "quantity_mg")

    discovered_on = forms.DateField(
        label="Date of discovery",
        widget=_DATE,
        error_messages={
            "required": "Enter the date the theft or loss was discovered.",
            "invalid": "Enter the date as a date, for example 2026-12-04.",
        },
    )
    kind = forms.ChoiceField(
        label="Type of theft or loss",
        choices=[("", "— choose —"), *LossKind.choices],
        error_messages={"required": "Choose the type of theft or loss."},
    )
    police_notified = forms.BooleanField(label="The police were notified", required=False)
    police_department = forms.CharField(label="Police department", required=False, max_length=200)
    police_report_number = forms.CharField(
        label="Police report number", required=False, max_length=60
    )
    description = forms.CharField(
        label="What happened",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Describe what happened, as DEA Form 106 asks."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "loss_%s")
        super().__init__(*args, **kwargs)

    def add_lot_fields(self, index: int, lot: OnHand) -> None:
        self.fields[field_name(index, "quantity_mg")] = _amount_field(
            f"Lost of lot {lot.lot_number} (mg)",
            required=False,
            help_text=f"The register holds {mg(lot.stock_mg)}. Empty or 0 if none.",
        )


class SubmissionForm(forms.Form):
    dea_confirmation = forms.CharField(
        label="DEA confirmation",
        max_length=100,
        help_text="The confirmation number the DEA's online DEA Form 106 gave.",
        error_messages={"required": "Enter the confirmation the DEA gave."},
    )


class PeriodForm(forms.Form):
    """The printed register's period, from the address (`?start=…&end=…`)."""

    start = forms.DateField(label="From", required=False, widget=_DATE)
    end = forms.DateField(label="To", required=False, widget=_DATE)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The period ends after it starts.")
        return cleaned
