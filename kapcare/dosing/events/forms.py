"""Forms of the events part of the dosing record: the dose's start and end, the infusion
paused, resumed or stopped, and an adverse event and what was done for it.

They parse what was typed; the rules (which change may follow which, when a time is
allowed) are the services' and the pure rules'. Times are typed as hours and minutes, on
the session's day, in the clinic's time zone.
"""

import datetime as dt

from django import forms

from kapcare.dosing.models import EventKind, InfusionChangeKind, Severity


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
