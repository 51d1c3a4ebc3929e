"""Forms of the dose and the set and setting. They parse what was typed; the rules
(plausible mg/kg, the clinic's maximum, a recent weight, the lot's expiry) are the
services' and `dose.rules`'s, so the page and any other caller hear the same answer."""

from datetime import datetime

from django import forms

from kapcare.dosing.dose import services
from kapcare.dosing.models import DosingRecord, Lighting
from kapcare.episodes.models import DoseRoute

_record = DosingRecord._meta


class PrescriptionForm(forms.Form):
    route = forms.ChoiceField(
        label="Route",
        choices=DoseRoute.choices,
        error_messages={"required": "Choose a route.", "invalid_choice": "Choose a route."},
    )
    mg_per_kg = forms.DecimalField(
        label="Prescribed dose (mg/kg)",
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.001", "min": "0"}),
        help_text="The mg are computed from the patient's latest weight.",
        error_messages={
            "required": "Enter the prescribed dose in mg/kg.",
            "invalid": "Enter the dose in mg/kg as a number, for example 0.5.",
        },
    )
    infusion_minutes = forms.IntegerField(
        label="Infusion duration (minutes)",
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="Intravenous only.",
        error_messages={"invalid": "Enter the infusion duration in whole minutes."},
    )
    lot_number = forms.ChoiceField(
        label="Lot (from the register)",
        help_text="A lot received at this clinic, in date on the dose's day, with the dose "
        "on hand.",
        error_messages={
            "required": "Choose the lot from the register.",
            "invalid_choice": "Choose one of the lots in this clinic's register.",
        },
    )
    above_maximum_reason = forms.CharField(
        label="Reason for a dose above the clinic's maximum",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only needed when the dose is above the maximum for the route; recorded "
        "with your name as a clinician's override.",
    )

    def __init__(self, *args, lots: list[tuple[str, str]], **kwargs):
        kwargs.setdefault("auto_id", "dose_%s")
        super().__init__(*args, **kwargs)
        self.fields["lot_number"].choices = [("", "— choose a lot —"), *lots]

    @classmethod
    def initial_from(cls, record: DosingRecord, default_infusion_minutes: int) -> dict:
        return {
            "route": record.route,
            "mg_per_kg": record.prescribed_mg_per_kg,
            "infusion_minutes": record.infusion_minutes or default_infusion_minutes,
            "lot_number": record.lot_number,
            "above_maximum_reason": record.above_maximum_reason,
        }

    def arguments(self) -> dict:
        """The keyword arguments of `services.prescribe_dose`."""
        return dict(self.cleaned_data)


class ConfirmDoseForm(forms.Form):
    """The second person's check of the dose as the page showed it: a clinician or nurse
    other than the prescriber, who types their own email and password."""

    prescribed_at = forms.CharField(widget=forms.HiddenInput)
    second_email = forms.CharField(
        label="Checker's email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="A clinician or nurse of the clinic, not the prescriber.",
        error_messages={"required": "Enter the checker's email."},
    )
    second_password = forms.CharField(
        label="Checker's password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Typed by the checker themselves.",
        error_messages={"required": "The checker enters their own password."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "confirm_%s")
        super().__init__(*args, **kwargs)

    def clean_prescribed_at(self) -> datetime:
        try:
            value = datetime.fromisoformat(self.cleaned_data["prescribed_at"])
        except ValueError:
            raise forms.ValidationError("Open the dose again and check it.") from None
        if value.tzinfo is None:
            raise forms.ValidationError("Open the dose again and check it.")
        return value


class SettingForm(forms.Form):
    music = forms.CharField(
        label="Music or playlist",
        required=False,
        max_length=_record.get_field("music").max_length,
        error_messages={"max_length": "Name the music in at most %(limit_value)d characters."},
    )
    eye_shades = forms.BooleanField(label="Eye shades offered", required=False)
    lighting = forms.ChoiceField(
        label="Lighting",
        required=False,
        choices=[("", "Not recorded"), *Lighting.choices],
        error_messages={"invalid_choice": "Choose the lighting from the list."},
    )
    therapist_present = forms.BooleanField(label="Therapist present", required=False)
    intention = forms.CharField(
        label="The patient's intention for the session",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="In the patient's own words.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "setting_%s")
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_from(cls, record: DosingRecord) -> dict:
        return {name: getattr(record, name) for name in services.SETTING_FIELDS}

    def to_input(self) -> services.SettingInput:
        return services.SettingInput(**self.cleaned_data)
