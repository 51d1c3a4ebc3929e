"""The quick-entry form for a reading at the bedside: HR, SBP, DBP, SpO2, RR and the
MOAA/S score in one row, the time defaulting to now. It parses what was typed; what is
plausible and what raises an alert are the rules' (`vitals.rules`), applied by the service."""

import datetime as dt

from django import forms

from kapcare.dosing.vitals.rules import MOAAS_LEVELS, VITALS

NUMBER_FIELDS = ("hr", "sbp", "dbp", "spo2", "rr")


def _number(key: str) -> forms.IntegerField:
    vital = VITALS[key]
    return forms.IntegerField(
        label=f"{vital.short_name} ({vital.unit})",
        required=False,
        # Text with a numeric keypad, not type=number: no spinner, no silent rounding,
        # and the browser does not block a value the server will explain.
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "autocomplete": "off",
                "size": 4,
                "maxlength": 3,
                "title": vital.name,
            }
        ),
        error_messages={"invalid": f"Enter the {vital.name.lower()} as a whole number."},
    )


class VitalsForm(forms.Form):
    taken_at = forms.TimeField(
        label="Time",
        input_formats=["%H:%M", "%H:%M:%S", "%H.%M", "%H%M"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": "Enter the time the reading was taken.",
            "invalid": "Enter the time as hours and minutes, for example 09:40.",
        },
    )
    hr = _number("hr")
    sbp = _number("sbp")
    dbp = _number("dbp")
    spo2 = _number("spo2")
    rr = _number("rr")
    sedation = forms.TypedChoiceField(
        label="MOAA/S",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *MOAAS_LEVELS.items()],
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "vitals_%s")
        super().__init__(*args, **kwargs)

    def values(self) -> dict[str, int | None]:
        return {key: self.cleaned_data.get(key) for key in (*NUMBER_FIELDS, "sedation")}

    def taken_at_on(self, day: dt.date, zone) -> dt.datetime:
        """The time typed, on the session's `day`, in the clinic's time zone."""
        return dt.datetime.combine(day, self.cleaned_data["taken_at"], tzinfo=zone)
