"""Forms of the events and discharge parts of the dosing record: the dose's start and end,
the infusion paused, resumed or stopped, an adverse event and what was done for it, a
discharge check (the modified Aldrete items and the other criteria) and the discharge.

They parse what was typed; the rules (which change may follow which, when a time is
allowed, what discharge needs) are the services' and the pure rules'. Times are typed as
hours and minutes, on the session's day, in the clinic's time zone.
"""

import datetime as dt

from django import forms

from kapcare.dosing.models import EventKind, InfusionChangeKind, Severity
from kapcare.dosing.rules_discharge import ALDRETE_ITEMS
from kapcare.dosing.services import DischargeCheckInput


def _time_field(label: str, help_text: str = "", *, required: bool = False) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=["%H:%M", "%H:%M:%S", "%H.%M", "%H%M"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": "Enter the time.",
            "invalid": "Enter the time as hours and minutes, for example 09:40.",
        },
    )


def on_day(value: dt.time | None, day: dt.date, zone) -> dt.datetime | None:
    """The time typed, on the session's `day`, in the clinic's zone (None when blank)."""
    if value is None:
        return None
    return dt.datetime.combine(day, value, tzinfo=zone)


class DoseTimeForm(forms.Form):
    """When the dose started or ended; blank takes the default the service explains."""

    STARTED, ENDED = "started", "ended"

    moment = forms.ChoiceField(
        choices=[(STARTED, "started"), (ENDED, "ended")], widget=forms.HiddenInput
    )
    at = _time_field("Time")

    def __init__(self, *args, moment: str, **kwargs):
        kwargs.setdefault("auto_id", f"dose_{moment}_%s")
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("moment", moment)
        super().__init__(*args, **kwargs)
        if moment == self.STARTED:
            self.fields["at"].label = "Dose started at"
            self.fields["at"].help_text = "Blank: when the session was started."
        else:
            self.fields["at"].label = "Dose ended at"
            self.fields["at"].help_text = (
                "An infusion: its prescribed duration after the start, plus any pause; "
                "change it to when it really ended. Sublingual, IM or intranasal: when taken."
            )


class InfusionChangeForm(forms.Form):
    kind = forms.ChoiceField(
        label="The infusion was",
        choices=InfusionChangeKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the infusion was paused, resumed or stopped."},
    )
    at = _time_field("At", "Blank: now.")
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the infusion is paused or stopped.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "infusion_%s")
        super().__init__(*args, **kwargs)


class AdverseEventForm(forms.Form):
    kind = forms.ChoiceField(
        label="What happened",
        choices=[("", "Choose…"), *EventKind.choices],
        error_messages={"required": "Choose what happened."},
    )
    severity = forms.ChoiceField(
        label="Severity",
        choices=Severity.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose mild, moderate or severe."},
    )
    onset_at = _time_field("Began at", "Blank: now.")
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed for “Other”.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "adverse_%s")
        super().__init__(*args, **kwargs)


class InterventionForm(forms.Form):
    """What was done for one adverse event; `event` is the event's opaque id."""

    event = forms.UUIDField(widget=forms.HiddenInput)
    drug = forms.CharField(
        label="Drug or measure",
        max_length=120,
        error_messages={"required": "Name the drug given or the measure taken."},
    )
    dose = forms.CharField(label="Dose", max_length=60, required=False, help_text="E.g. 4 mg IV.")
    given_at = _time_field("Given at", "Blank: now.")

    def __init__(self, *args, event_key: str, **kwargs):
        kwargs.setdefault("auto_id", f"intervention_{event_key}_%s")
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("event", event_key)
        super().__init__(*args, **kwargs)


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


class DischargeForm(forms.Form):
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

    @property
    def has_second_person(self) -> bool:
        return bool(
            self.cleaned_data.get("second_email") or self.cleaned_data.get("second_password")
        )
