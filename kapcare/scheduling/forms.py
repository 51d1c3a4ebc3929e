"""Forms for the schedule pages: which day and view, a room, a shift, time off. Each check
gives its message at the field it concerns, and a form that fails keeps what was typed.

Times typed into these forms are the clinic's clock times: the clinic middleware makes the
clinic's zone the current one, and Django reads a typed date and time in it.
"""

from django import forms

from kapcare.dates import validate_clinic_date
from kapcare.scheduling.models import Weekday
from kapcare.scheduling.schedule import BY_CLINICIAN, BY_ROOM

LOCAL_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class ScheduleQueryForm(forms.Form):
    """The day (or a day of the week) to show, and whether by room or by clinician."""

    date = forms.DateField(
        label="Date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_clinic_date],
        error_messages={"invalid": "Enter a date as YYYY-MM-DD, e.g. 2026-12-01."},
    )
    by = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[(BY_ROOM, "By room"), (BY_CLINICIAN, "By clinician")],
    )

    def chosen(self, today):
        """(date, by) asked for, falling back to `today` and rooms for what is missing or
        not valid (the form keeps its errors to show)."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("date") or today, data.get("by") or BY_ROOM


class RoomForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=80,
        help_text="As the staff call it, e.g. “Suite 2”.",
        error_messages={"required": "Give the room a name."},
    )
    is_active = forms.BooleanField(
        label="In use",
        required=False,
        initial=True,
        help_text="A room no longer in use stays on its past appointments and takes no new "
        "bookings.",
    )
    monitor_device_id = forms.CharField(
        label="Bedside monitor id",
        max_length=100,
        required=False,
        help_text="The id this room's patient monitor sends with its readings over HL7 "
        "(OBX-18, or else MSH-3; often its EUI-64, e.g. 0012080000000001). Its readings go "
        "to the dosing session under way here. Empty: no monitor.",
    )


class WorkingHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(label="Day", choices=Weekday.choices, coerce=int)
    starts = forms.TimeField(
        label="From",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": "Enter the time the shift starts, e.g. 08:00."},
    )
    ends = forms.TimeField(
        label="To",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": "Enter the time the shift ends, e.g. 16:00."},
    )

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", "The shift must end after it starts.")
        return data


class TimeOffForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="Away from",
        input_formats=LOCAL_DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        validators=[validate_clinic_date],
        error_messages={
            "required": "Enter when the time off starts.",
            "invalid": "Enter a date and time, e.g. 2026-12-01 08:00.",
        },
    )
    ends_at = forms.DateTimeField(
        label="Back at",
        input_formats=LOCAL_DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        validators=[validate_clinic_date],
        error_messages={
            "required": "Enter when the clinician is back.",
            "invalid": "Enter a date and time, e.g. 2026-12-03 17:00.",
        },
    )
    reason = forms.CharField(
        label="Reason (optional)",
        max_length=120,
        required=False,
        help_text="Seen by the clinic's staff, e.g. “Training”.",
    )

    def clean(self):
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", "The time off must end after it starts.")
        return data
