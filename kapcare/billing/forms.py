"""The coverage question and a code table line's new version."""

from decimal import Decimal

from django import forms

from kapcare.billing.models import BillingCode, Coverage, CoverageRecord
from kapcare.text import TextFormMixin, max_length_of


class CoverageForm(TextFormMixin, forms.Form):
    status = forms.ChoiceField(
        label="Is the patient insured, and will they file a claim for this care?",
        choices=Coverage.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose one of the three answers."},
    )
    insurer = forms.CharField(
        label="Insurer", max_length=max_length_of(CoverageRecord, "insurer"), required=False
    )
    member_id = forms.CharField(
        label="Member ID", max_length=max_length_of(CoverageRecord, "member_id"), required=False
    )
    note = forms.CharField(
        label="Note", max_length=max_length_of(CoverageRecord, "note"), required=False
    )


class CodeVersionForm(TextFormMixin, forms.Form):
    system = forms.ChoiceField(choices=[("CPT", "CPT"), ("HCPCS", "HCPCS")])
    code = forms.RegexField(
        regex=r"^[A-Za-z0-9]{5}$",
        max_length=5,
        error_messages={
            "invalid": "A CPT or HCPCS code is 5 letters or digits, e.g. 96365 or J3490."
        },
    )
    description = forms.CharField(
        label="Description (plain language)",
        max_length=max_length_of(BillingCode, "description"),
    )
    modifiers = forms.RegexField(
        regex=r"^([A-Za-z0-9]{2})(, ?[A-Za-z0-9]{2})*$",
        max_length=20,
        required=False,
        error_messages={"invalid": "Modifiers are two letters or digits each, e.g. 25 or JZ, 59."},
    )
    ndc = forms.RegexField(
        label="NDC",
        regex=r"^\d{4,5}-\d{3,4}-\d{1,2}$|^\d{11}$",
        max_length=13,
        required=False,
        error_messages={"invalid": "An NDC is 11 digits, or 10 with dashes (e.g. 0409-2051-05)."},
    )
    price = forms.DecimalField(
        label="Own price (USD)",
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text="Leave empty when the line is included in the session's price.",
        error_messages={
            "invalid": "Enter an amount, e.g. 150 or 150.00.",
            "min_value": "Enter zero or more.",
            "max_digits": "Enter an amount below 1,000,000.",
            "max_decimal_places": "Enter at most two digits after the point.",
        },
    )
    is_active = forms.BooleanField(label="In use", required=False)
    source = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    reason = forms.CharField(
        label="Why this change", max_length=max_length_of(BillingCode, "reason")
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].upper()

    def clean_modifiers(self) -> str:
        return self.cleaned_data["modifiers"].upper()

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the line changes (it is kept with the version).")
        return reason
