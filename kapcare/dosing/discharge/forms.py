"""Forms of the discharge part of the dosing record: a discharge check (the modified
Aldrete items and the other criteria) and the discharge itself.

They parse what was typed; what discharge needs is the services' and the pure rules'.
"""

from django import forms
from django.core.exceptions import ValidationError

from kapcare.accounts import step_up
from kapcare.accounts.second_factor_forms import StepUpMixin
from kapcare.dosing.discharge.rules import ALDRETE_ITEMS
from kapcare.dosing.discharge.services import DischargeCheckInput


class DischargeCheckForm(forms.Form):
    """A discharge check: each modified Aldrete item as its three worded scores, then the
    other criteria."""

    alert_and_oriented = forms.BooleanField(label="Alert and oriented", required=False)
    escort_present = forms.BooleanField(
        label="Escort present to take the patient home",
        required=False,
        help_text="No driving until the next day.",
    )
    aftercare_given = forms.BooleanField(
        label="Written after-care instructions given", required=False
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "discharge_check_%s")
        super().__init__(*args, **kwargs)
        aldrete = {
            item.key: forms.TypedChoiceField(
                label=item.label,
                coerce=int,
                choices=[(score, f"{score} – {words}") for score, words in item.descriptions],
                widget=forms.RadioSelect,
                error_messages={"required": f"Choose the {item.label.lower()} score."},
            )
            for item in ALDRETE_ITEMS
        }
        self.fields = {**aldrete, **self.fields}

    @property
    def aldrete_fields(self):
        return [self[item.key] for item in ALDRETE_ITEMS]

    @property
    def criteria_fields(self):
        return [self["alert_and_oriented"], self["escort_present"], self["aftercare_given"]]

    def to_input(self) -> DischargeCheckInput:
        return DischargeCheckInput(**self.cleaned_data)


class DischargeForm(StepUpMixin, forms.Form):
    """The discharge. Against the criteria (a reason written), the clinician re-enters
    their code or password (`user=` says which); a plain discharge asks for neither."""

    override_reason = forms.CharField(
        label="Reason to discharge although criteria are unmet",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A clinician's decision, kept on the record with your name.",
    )
    second_email = forms.CharField(
        label="Second clinician's email",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="Needed when the vital signs are not back in range.",
    )
    second_password = forms.CharField(
        label="Second clinician's password",
        required=False,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Typed by the second clinician themselves.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "discharge_%s")
        super().__init__(*args, **kwargs)
        for name in (step_up.FIELD, step_up.CODE_FIELD):
            if name in self.fields:
                self.fields[name].required = False
        self.fields[
            step_up.FIELD
        ].help_text = (
            "Needed when you discharge against the criteria: you confirm the decision is yours."
        )

    def clean_reauthentication(self):
        if not (self.cleaned_data.get("override_reason") or "").strip():
            return None  # criteria met: nothing is overridden, nothing to confirm
        if not self.cleaned_data.get(step_up.FIELD):
            raise ValidationError("Re-enter your password to discharge against the criteria.")
        return super().clean_reauthentication()

    @property
    def has_second_person(self) -> bool:
        return bool(
            self.cleaned_data.get("second_email") or self.cleaned_data.get("second_password")
        )
