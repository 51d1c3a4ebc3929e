import zoneinfo

from django import forms

from kapcare.clinics.models import Clinic

US_ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
]


def time_zone_choices() -> list[tuple[str, str]]:
    others = sorted(z for z in zoneinfo.available_timezones() if z not in US_ZONES and "/" in z)
    return [("United States", [(z, z) for z in US_ZONES]), ("Elsewhere", [(z, z) for z in others])]


class ClinicSettingsForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices, help_text="Times are shown in this zone."
    )

    class Meta:
        model = Clinic
        fields = ["name", "time_zone", "phone", "email", "clinical_inbox"]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}
