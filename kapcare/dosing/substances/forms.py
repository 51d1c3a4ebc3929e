"""Forms of the ketamine register: a session's use (on the record page), stock received
and a correction (on the register page). They parse what was typed; the rules (a licensed
witness for a waste and a receipt, a note when the dose differs, nothing below 0 mg) are
the services'. The witness types their own email and password on the same form
(`kapcare.accounts.second_person`)."""

from django import forms

from kapcare.dosing.models import DosageForm, Drug

_AMOUNT = {"inputmode": "decimal", "step": "0.01"}


def _mg_field(label: str, *, min_value=0, help_text: str = "", if_none: str = " (0 if none)"):
    return forms.DecimalField(
        label=label,
        min_value=min_value,
        max_digits=8,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs=_AMOUNT),
        error_messages={
            "required": f"Enter the amount in mg{if_none}.",
            "invalid": "Enter a number of mg, for example 36.2.",
            "max_decimal_places": "Enter at most two decimals (0.01 mg).",
            "max_digits": "This amount is too large for the register.",
            "max_whole_digits": "This amount is too large for the register.",
            "min_value": "The amount cannot be below 0 mg.",
        },
    )


def _witness_fields(*, required: bool, help_text: str) -> tuple[forms.Field, forms.Field]:
    email = forms.CharField(
        label="Witness's email",
        required=required,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=help_text,
        error_messages={"required": "Enter the witness's email."},
    )
    password = forms.CharField(
        label="Witness's password",
        required=required,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Typed by the witness themselves.",
        error_messages={"required": "The witness enters their own password."},
    )
    return email, password


class WitnessMixin:
    """A form with the witness's own email and password (`second_email`,
    `second_password`, the names `second_person` reports problems under)."""

    @property
    def has_witness(self) -> bool:
        return bool(
            self.cleaned_data.get("second_email") or self.cleaned_data.get("second_password")
        )


class SessionUseForm(WitnessMixin, forms.Form):
    lot_number = forms.ChoiceField(
        label="Lot",
        error_messages={
            "required": "Choose the lot the ketamine was drawn from.",
            "invalid_choice": "Choose one of the lots received at this clinic.",
        },
    )
    drawn_mg = _mg_field("Drawn up (mg)", if_none="")
    given_mg = _mg_field("Given (mg)", help_text="Normally the dose on this record.")
    wasted_mg = _mg_field("Wasted (mg)")
    second_email, second_password = _witness_fields(
        required=False,
        help_text="A clinician or nurse who saw the waste, not the one who drew it; "
        "required when anything is wasted.",
    )
    returned_mg = _mg_field("Returned to stock (mg)")
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the amount given is not the dose on the record, or when "
        "part of the draw is not accounted for.",
    )

    def __init__(self, *args, lots: list[tuple[str, str]], **kwargs):
        kwargs.setdefault("auto_id", "substances_%s")
        super().__init__(*args, **kwargs)
        self.fields["lot_number"].choices = [("", "— choose a lot —"), *lots]


class ReceiveStockForm(WitnessMixin, forms.Form):
    drug = forms.ChoiceField(
        label="Drug",
        choices=Drug.choices,
        initial=Drug.KETAMINE,
        required=False,
        help_text="Ketamine unless chosen. Esketamine comes as Spravato nasal devices of "
        "28 mg each.",
        error_messages={
            "required": "Choose the drug.",
            "invalid_choice": "Choose the drug from the list.",
        },
    )
    lot_number = forms.CharField(
        label="Lot number",
        max_length=40,
        error_messages={"required": "Enter the lot number printed on the vials."},
    )
    lot_expiry = forms.DateField(
        label="Expiry",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Enter the lot's expiry date, as printed on the vials.",
            "invalid": "Enter the expiry as a date, for example 2027-06-30.",
        },
    )
    amount_mg = _mg_field("Amount received (mg)", min_value=None, if_none="")
    drug_name = forms.CharField(
        label="Drug, as on the label",
        max_length=80,
        required=False,
        help_text="Ketamine hydrochloride or esketamine hydrochloride unless written.",
    )
    strength = forms.CharField(
        label="Strength",
        max_length=40,
        help_text="As on the label: for example 50 mg/mL or 500 mg/10 mL.",
        error_messages={"required": "Enter the strength, as on the label: e.g. 50 mg/mL."},
    )
    dosage_form = forms.ChoiceField(
        label="Dosage form",
        choices=[("", "— choose —"), *DosageForm.choices],
        error_messages={
            "required": "Choose the dosage form, as on the label.",
            "invalid_choice": "Choose one of the dosage forms listed.",
        },
    )
    ndc = forms.CharField(
        label="NDC (if known)",
        required=False,
        max_length=13,
        help_text="The National Drug Code on the carton, e.g. 0409-2051-05.",
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example the supplier and the invoice or DEA Form 222 number.",
    )
    second_email, second_password = _witness_fields(
        required=True, help_text="A second clinician or nurse who counted the stock with you."
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "receive_%s")
        super().__init__(*args, **kwargs)


class CorrectionForm(forms.Form):
    """A correction of one line, posted with the line's id; one form per line."""

    entry = forms.UUIDField(widget=forms.HiddenInput)
    amount_mg = _mg_field(
        "Correction (mg)",
        min_value=None,
        if_none="",
        help_text="What to add to the line; negative to take away, for example -5.",
    )
    note = forms.CharField(
        label="Why",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write why the line is corrected: it stays in the register."},
    )

    def __init__(self, *args, entry_id, **kwargs):
        kwargs.setdefault("auto_id", f"correct_{entry_id}_%s")
        kwargs.setdefault("initial", {"entry": entry_id})
        super().__init__(*args, **kwargs)
