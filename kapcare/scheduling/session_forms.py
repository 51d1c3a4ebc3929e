"""Forms of a session's calendar page: move it, cancel it with the reason, record a
no-show. Each check speaks at its field, and a refused form keeps what was typed. Times are
the clinic's clock times (the clinic middleware makes its zone the current one)."""

from django import forms

from kapcare.accounts.models import Role, User
from kapcare.dates import validate_clinic_date
from kapcare.scheduling.forms import LOCAL_DATETIME_FORMATS
from kapcare.scheduling.models import CancelReason, Room
from kapcare.scheduling.session_changes import NOTE_MAX_CHARS


class _Person(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class RescheduleForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="New start",
        input_formats=LOCAL_DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        validators=[validate_clinic_date],
        error_messages={
            "required": "Enter the new date and time.",
            "invalid": "Enter a date and time, e.g. 2026-12-01 09:00.",
        },
    )
    room = forms.ModelChoiceField(
        label="Room", queryset=Room.objects.none(), required=False, empty_label=None
    )
    clinician = _Person(
        label="Clinician", queryset=User.objects.none(), required=False, empty_label=None
    )
    move_later = forms.BooleanField(label="", required=False)

    def __init__(self, *args, session, later_count: int, **kwargs):
        appointment = session.appointment
        initial = {"starts_at": session.planned_start}
        if appointment is not None:
            initial |= {"room": appointment.room_id, "clinician": appointment.clinician_id}
        super().__init__(*args, initial=initial, **kwargs)
        clinic_id = session.episode.clinic_id
        if appointment is None:
            del self.fields["room"], self.fields["clinician"]
        else:
            self.fields["room"].queryset = Room.objects.filter(clinic_id=clinic_id, is_active=True)
            self.fields["clinician"].queryset = User.objects.filter(
                clinic_id=clinic_id, role=Role.CLINICIAN, is_active=True
            ).order_by("full_name")
            self.fields["room"].required = appointment.room_id is not None
            self.fields["clinician"].required = appointment.clinician_id is not None
        if later_count:
            sessions = f"{later_count} later session{'s' if later_count != 1 else ''}"
            self.fields["move_later"].label = f"Also move the series' {sessions} by as much"
        else:
            del self.fields["move_later"]


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        label="Who cancelled",
        choices=CancelReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who cancelled."},
    )
    note = forms.CharField(
        label="Note (optional)",
        max_length=NOTE_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the clinic should know, e.g. “Unwell; will call to rebook”.",
    )


class NoShowForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)",
        max_length=NOTE_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="E.g. “No answer by phone at 09:20”.",
    )
