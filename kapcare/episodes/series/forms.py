"""Forms of the series page: what to propose from (first day, clinician, room, earliest
time), and the proposal as rows to adjust and book (one row per session).

The rooms and clinicians are read once by the page and given to every row as plain
choices, so that the rows add no query each."""

import datetime as dt
from datetime import timedelta
from itertools import pairwise

from django import forms
from django.forms.utils import ErrorDict
from django.utils import timezone

from kapcare.dates import validate_clinic_date
from kapcare.episodes import rules, services
from kapcare.episodes.forms import DateTimeLocalInput
from kapcare.patients.forms import DateInput


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


def _choice_field(label: str, people_or_rooms, empty_label: str, invalid: str):
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=[("", empty_label)] + [(str(o.external_id), str(o)) for o in people_or_rooms],
        error_messages={"invalid_choice": invalid},
    )


class SeriesChoiceForm(forms.Form):
    """Where the proposal starts, and with whom. Sent by GET: it writes nothing."""

    first_day = forms.DateField(
        label="First dose on or after",
        widget=DateInput(),
        validators=[validate_clinic_date],
        error_messages={
            "required": "Enter the day of the first dose.",
            "invalid": "Enter a date, e.g. 2026-12-07.",
        },
    )
    earliest_time = forms.TimeField(
        label="Doses not before",
        required=False,
        widget=TimeInput(),
        input_formats=["%H:%M"],
        help_text="Optional: e.g. 13:00 for afternoon doses.",
        error_messages={"invalid": "Enter a time, e.g. 13:00."},
    )

    def __init__(self, *args, clinic, rooms, clinicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = clinic.zone
        self.rooms = {str(room.external_id): room for room in rooms}
        self.clinicians = {str(user.external_id): user for user in clinicians}
        self.fields["clinician"] = _choice_field(
            "Clinician",
            clinicians,
            "Any of the clinic's clinicians",
            "Choose one of the clinic's clinicians.",
        )
        self.fields["room"] = _choice_field(
            "Room", rooms, "Any room in use", "Choose one of the clinic's rooms in use."
        )
        self.order_fields(["first_day", "clinician", "room", "earliest_time"])

    def clean_clinician(self):
        return self.clinicians.get(self.cleaned_data["clinician"])

    def clean_room(self):
        return self.rooms.get(self.cleaned_data["room"])


class SessionRowForm(forms.Form):
    """One session of the proposal. A row left out ("include" unticked) is not checked."""

    include = forms.BooleanField(label="Book this session", required=False)
    kind = forms.ChoiceField(choices=list(rules.SESSION_KINDS.items()), widget=forms.HiddenInput)
    dose_number = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    start = forms.DateTimeField(
        label="Starts",
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        validators=[validate_clinic_date],
        error_messages={"invalid": "Enter a date and time, e.g. 2026-12-07 09:00."},
    )

    def __init__(self, *args, episode, rooms, clinicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.episode = episode
        self.zone = episode.clinic.zone
        self.rooms = {str(room.external_id): room for room in rooms}
        self.clinicians = {str(user.external_id): user for user in clinicians}
        self.fields["kind"].choices = [
            (kind, rules.SESSION_KINDS[kind]) for kind in rules.session_kinds_for(episode.model)
        ]
        self.fields["room"] = _choice_field(
            "Room",
            rooms,
            "No room (at the therapist's practice or online)",
            "Choose one of the clinic's rooms in use.",
        )
        self.fields["clinician"] = _choice_field(
            "Clinician", clinicians, "No clinician", "Choose one of the clinic's clinicians."
        )
        self.title = ""

    @property
    def session_kind(self) -> str:
        return self["kind"].value() or ""

    @property
    def is_dosing(self) -> bool:
        return self.session_kind == rules.DOSING

    def full_clean(self):
        super().full_clean()
        if self.is_bound and not self["include"].value():
            self._errors = ErrorDict()
            self.cleaned_data = {"include": False}

    def clean_start(self) -> dt.datetime | None:
        start = self.cleaned_data["start"]
        if start is None:
            return None
        # The typed time is the clinic's wall clock, whatever zone the reader is in.
        return timezone.make_aware(start.replace(tzinfo=None), self.zone)

    def clean_room(self):
        return self.rooms.get(self.cleaned_data["room"])

    def clean_clinician(self):
        return self.clinicians.get(self.cleaned_data["clinician"])

    def clean(self):
        data = super().clean()
        if "start" in data and data["start"] is None:
            self.add_error("start", "Enter the date and time the session starts.")
        if data.get("kind") == rules.DOSING:
            if "room" in data and data["room"] is None:
                self.add_error("room", "A dose needs a room.")
            if "clinician" in data and data["clinician"] is None:
                self.add_error("clinician", "A dose needs a clinician.")
        return data

    def session_input(self) -> services.SessionInput:
        data = self.cleaned_data
        return services.SessionInput(
            kind=data["kind"],
            starts_at=data["start"],
            room=data["room"],
            clinician=data["clinician"],
        )


class BaseSessionRowFormSet(forms.BaseFormSet):
    """The proposal's rows; the doses of what is booked keep the clinic's minimum interval
    (gate 7) between them."""

    def __init__(self, *args, episode, **kwargs):
        super().__init__(*args, **kwargs)
        self.episode = episode
        _title_rows(self.forms)

    def included(self) -> list[tuple[int, SessionRowForm]]:
        return [
            (index, form)
            for index, form in enumerate(self.forms)
            if form.cleaned_data.get("include")
        ]

    def clean(self):
        if any(self.errors):
            return
        included = self.included()
        if not included:
            raise forms.ValidationError("Tick at least one session to book.")
        clinic = self.episode.clinic
        minimum = timedelta(hours=clinic.minimum_dose_interval_hours)
        doses = sorted((form.cleaned_data["start"], form) for _, form in included if form.is_dosing)
        for (previous, _), (start, form) in pairwise(doses):
            if start - previous < minimum:
                local = timezone.localtime(previous, clinic.zone)
                form.add_error(
                    "start",
                    f"Less than {clinic.minimum_dose_interval_hours} hours after the dose of "
                    f"{local:%a %b} {local.day}, {local:%H:%M}; doses are at least "
                    f"{clinic.minimum_dose_interval_hours} hours apart.",
                )
        if any(self.errors):
            raise forms.ValidationError("Some doses are too close together.")

    def session_inputs(self) -> list[tuple[int, services.SessionInput]]:
        return [(index, form.session_input()) for index, form in self.included()]


SessionRowFormSet = forms.formset_factory(
    SessionRowForm, formset=BaseSessionRowFormSet, extra=0, max_num=60, absolute_max=60
)


def _title_rows(rows: list[SessionRowForm]) -> None:
    """Name each row as the clinic speaks: "Dose 2", "Integration after dose 2",
    "Preparation 1"."""
    preparation = 0
    for row in rows:
        number = row["dose_number"].value()
        if row.session_kind == rules.PREPARATION:
            preparation += 1
            row.title = f"Preparation session {preparation}"
        elif row.session_kind == rules.DOSING:
            row.title = f"Dose {number}" if number else "Dose"
        elif row.session_kind == rules.INTEGRATION:
            row.title = f"Integration after dose {number}" if number else "Integration session"
        else:
            row.title = "Session"
