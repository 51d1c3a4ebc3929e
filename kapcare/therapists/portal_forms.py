"""Forms of the therapist's portal: record a preparation or integration session, and send the
patient a questionnaire. They parse what was typed; the rules (the range of a date, the
length of a session, a held date in the future, a session already recorded) are
`episodes.therapy_sessions`', whose refusals the page puts back at each field."""

from django import forms

from kapcare.episodes.models import SessionKind
from kapcare.episodes.therapy_sessions import (
    COORDINATION_NOTE_MAX_CHARS,
    LONGEST_SESSION_MINUTES,
    TherapySessionInput,
)
from kapcare.patients.forms import DateInput
from kapcare.therapists.models import Modality

ATTENDED, MISSED = "attended", "missed"

NOTE_GUIDANCE = (
    "Psychotherapy notes stay in your own records; write only what the clinic needs to "
    "coordinate care (for example: “ready for the next dose”, “asked to move the session”)."
)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class TherapySessionForm(forms.Form):
    kind = forms.ChoiceField(
        label="Session",
        choices=[
            (SessionKind.PREPARATION, SessionKind.PREPARATION.label),
            (SessionKind.INTEGRATION, SessionKind.INTEGRATION.label),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose preparation or integration."},
    )
    held_on = forms.DateField(
        label="Date",
        widget=DateInput(),
        error_messages={
            "required": "Enter the day of the session.",
            "invalid": "Enter the date as a date, e.g. 2026-03-21.",
        },
    )
    start_time = forms.TimeField(
        label="Start time",
        widget=TimeInput(),
        help_text="In the clinic's time zone.",
        error_messages={
            "required": "Enter when the session started.",
            "invalid": "Enter the time as hours and minutes, e.g. 14:30.",
        },
    )
    duration_minutes = forms.IntegerField(
        label="Length (minutes)",
        required=False,
        help_text="Not needed for a missed session.",
        widget=forms.NumberInput(
            attrs={"inputmode": "numeric", "min": 1, "max": LONGEST_SESSION_MINUTES, "step": 1}
        ),
        error_messages={
            "required": "Enter how long the session was, in minutes.",
            "invalid": "Enter the length as a whole number of minutes, e.g. 50.",
        },
    )
    modality = forms.ChoiceField(
        label="Modality",
        required=False,
        help_text="Not needed for a missed session.",
        choices=Modality.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the modality.", "invalid_choice": "Choose a modality."},
    )
    attendance = forms.ChoiceField(
        label="Attendance",
        choices=[(ATTENDED, "Attended"), (MISSED, "Missed")],
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the patient attended."},
    )
    coordination_note = forms.CharField(
        label="Coordination note for the clinic",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COORDINATION_NOTE_MAX_CHARS}),
        help_text=NOTE_GUIDANCE,
    )

    def __init__(self, *args, asks_kind: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not asks_kind:
            del self.fields["kind"]

    def session_input(self) -> TherapySessionInput:
        data = self.cleaned_data
        return TherapySessionInput(
            kind=data.get("kind", ""),
            held_on=data["held_on"],
            start_time=data["start_time"],
            duration_minutes=data["duration_minutes"],
            modality=data["modality"],
            attended=data["attendance"] == ATTENDED,
            coordination_note=data["coordination_note"],
        )
