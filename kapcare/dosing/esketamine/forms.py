"""Forms of esketamine's part. They parse what was typed; the rules (the label's doses,
5 minutes between devices, the lot) are the services' and `rules`', so the page and any
other caller hear the same answer."""

from decimal import Decimal

from django import forms

from kapcare.dosing.esketamine import rules

DOSE_CHOICES = [
    ("", "— choose the dose —"),
    *((str(mg), f"{mg} mg ({rules.devices_for(mg)} devices of 28 mg)") for mg in rules.DOSES_MG),
]


class EnrolmentForm(forms.Form):
    enrolment_id = forms.CharField(
        label="REMS patient enrolment id",
        max_length=40,
        help_text="As the Spravato REMS gave it when the patient was enrolled.",
        error_messages={"required": "Enter the patient's REMS enrolment id."},
    )
    enrolled_on = forms.DateField(
        label="Enrolled on",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the day the patient was enrolled.",
            "invalid": "Enter a date, for example 2026-12-01.",
        },
    )


class EsketaminePrescriptionForm(forms.Form):
    dose_mg = forms.ChoiceField(
        label="Dose",
        choices=DOSE_CHOICES,
        error_messages={
            "required": "Choose the dose: 56 mg or 84 mg.",
            "invalid_choice": "Choose the dose: 56 mg or 84 mg.",
        },
    )
    lot_number = forms.ChoiceField(
        label="Lot of devices (from the register)",
        error_messages={
            "required": "Choose the lot of devices from the register.",
            "invalid_choice": "Choose one of the esketamine lots in this clinic's register.",
        },
    )

    def __init__(self, *args, lots: list[tuple[str, str]], **kwargs):
        kwargs.setdefault("auto_id", "esketamine_%s")
        super().__init__(*args, **kwargs)
        self.fields["lot_number"].choices = [("", "— choose a lot —"), *lots]

    def arguments(self) -> dict:
        return {
            "dose_mg": Decimal(self.cleaned_data["dose_mg"]),
            "lot_number": self.cleaned_data["lot_number"],
        }


class DeviceForm(forms.Form):
    at = forms.TimeField(
        label="Taken at",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Blank: now. Hours and minutes on the session's day, the clinic's time.",
        error_messages={"invalid": "Enter the time as hours and minutes, for example 09:05."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "device_%s")
        super().__init__(*args, **kwargs)


class ResolutionForm(forms.Form):
    sedation_resolved = forms.BooleanField(label="Sedation has resolved", required=False)
    dissociation_resolved = forms.BooleanField(label="Dissociation has resolved", required=False)
    respiratory_depression_resolved = forms.BooleanField(
        label="No respiratory depression (resolved or never present)", required=False
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "resolution_%s")
        super().__init__(*args, **kwargs)


class SubmissionForm(forms.Form):
    confirmation = forms.CharField(
        label="REMS confirmation number",
        max_length=60,
        error_messages={"required": "Enter the confirmation number the REMS gave."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "rems_%s")
        super().__init__(*args, **kwargs)
