"""Forms of the episode pages: open an episode, change its plan, move its state, plan a
session and record what happened to it. They parse what was typed and put each problem
at its field; the rules themselves live in `rules` and `services`, which the API calls
too."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils import timezone

from kapcare.accounts.models import Role, User
from kapcare.dates import validate_clinic_date
from kapcare.episodes import rules, services
from kapcare.episodes.models import CareModel, CareSession, DoseRoute, Episode
from kapcare.scheduling.models import Room
from kapcare.therapists.models import TherapistProfile


class DateTimeLocalInput(forms.DateTimeInput):
    """`<input type="datetime-local">`: a wall-clock time with no zone, read in the
    clinic's zone by the form."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def clinicians_of(clinic):
    return User.objects.filter(clinic_id=clinic.pk, role=Role.CLINICIAN, is_active=True)


def _clinician_field(clinic, label: str, empty_label: str) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        label=label,
        queryset=clinicians_of(clinic),
        required=False,
        empty_label=empty_label,
        error_messages={"invalid_choice": "Choose one of the clinic's clinicians."},
    )
    field.label_from_instance = lambda user: user.display_name
    return field


def _count_field(label: str, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=99,
        required=False,
        help_text=help_text,
        error_messages={
            "invalid": "Enter a whole number, e.g. 2.",
            "min_value": "Enter zero or more.",
            "max_value": "Enter at most 99.",
        },
    )


def directory_choices(clinic) -> list[tuple[str, str]]:
    """The therapists in the clinic's directory, by name, valued by their email (one query)."""
    entries = TherapistProfile.objects.for_clinic(clinic.pk).select_related("user")
    choices = [("", "Not in the directory (type their email below)")]
    for entry in entries:
        place = ", ".join(part for part in (entry.practice_name, entry.city) if part)
        label = f"{entry.user.full_name} — {place}" if place else entry.user.full_name
        choices.append((entry.user.email, label))
    return choices


class TherapistFields(forms.Form):
    """The outside therapist: picked from the clinic's directory, or by email as the
    fallback for someone not listed; the name only to invite someone new."""

    therapist_from_directory = forms.ChoiceField(
        label="Therapist from the clinic's directory",
        required=False,
        error_messages={"invalid_choice": "Choose a therapist from the directory's list."},
    )
    therapist_email = forms.EmailField(
        label="Or their email, if not in the directory",
        max_length=254,
        required=False,
        help_text="An outside therapist with a kapcare account, or someone new: they get an "
        "invitation naming the clinic only, never the patient.",
        error_messages={"invalid": "Enter an email address, e.g. name@practice.com."},
    )
    therapist_name = forms.CharField(
        label="Therapist's name",
        max_length=200,
        required=False,
        help_text="Needed only when they have no account yet.",
    )
    therapist_fee = forms.DecimalField(
        label="Therapist's fee per session (USD)",
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text="Paid to the therapist, not the clinic; part of the whole-course estimate.",
        error_messages={
            "invalid": "Enter an amount, e.g. 150 or 150.00.",
            "min_value": "Enter zero or more.",
            "max_decimal_places": "Enter at most two digits after the point.",
        },
    )

    def use_directory_of(self, clinic) -> None:
        if "therapist_from_directory" in self.fields:
            self.fields["therapist_from_directory"].choices = directory_choices(clinic)

    def clean(self):
        """The directory's pick stands for the email. When a pick and a typed email differ,
        the one changed on the page wins; both changed is a contradiction to resolve."""
        cleaned = super().clean()
        chosen = cleaned.get("therapist_from_directory") or ""
        typed = cleaned.get("therapist_email") or ""
        if not chosen or typed.casefold() in ("", chosen.casefold()):
            if chosen:
                cleaned["therapist_email"] = chosen
            return cleaned
        chosen_changed = chosen != (self.initial.get("therapist_from_directory") or "")
        typed_changed = typed != (self.initial.get("therapist_email") or "")
        if chosen_changed and not typed_changed:
            cleaned["therapist_email"] = chosen
        elif chosen_changed:
            self.add_error(
                "therapist_email",
                "This is not the email of the therapist chosen from the directory: "
                "choose one or the other.",
            )
        return cleaned

    def therapist_input(self) -> services.TherapistInput | None:
        email = self.cleaned_data.get("therapist_email", "")
        if not email:
            return None
        return services.TherapistInput(email=email, name=self.cleaned_data["therapist_name"])


class EpisodeForm(TherapistFields):
    """Open an episode. A standalone infusion ignores the therapist fields (here and in
    the service), whatever was typed in them."""

    model = forms.ChoiceField(
        label="Model of care",
        choices=CareModel.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a model of care.",
            "invalid_choice": "Choose one of the four models.",
        },
    )
    diagnosis_code = forms.CharField(
        label="Diagnosis (ICD-10-CM code)",
        max_length=12,
        help_text="For example F33.2 (major depressive disorder, recurrent, severe).",
        error_messages={"required": "Enter the ICD-10-CM code of the diagnosis."},
    )
    diagnosis_text = forms.CharField(label="Diagnosis in words", max_length=200, required=False)
    treating_clinician = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    has_trauma_history = forms.BooleanField(
        label="Trauma history",
        required=False,
        help_text="Longer preparation is suggested (Dore et al. 2019).",
    )
    goals = forms.CharField(
        label="Goals and intentions",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="In the patient's words, where possible.",
    )
    dose_route = forms.ChoiceField(
        label="Planned route",
        choices=DoseRoute.choices,
        initial=DoseRoute.IV,
        error_messages={"invalid_choice": "Choose a route from the list."},
    )
    planned_doses = forms.IntegerField(
        label="Planned doses",
        min_value=1,
        max_value=99,
        required=False,
        error_messages={
            "invalid": "Enter a whole number, e.g. 6.",
            "min_value": "Plan at least one dose.",
            "max_value": "Enter at most 99.",
        },
    )
    planned_preparation_sessions = _count_field("Planned preparation sessions")
    planned_integration_sessions = _count_field("Planned integration sessions")

    field_order = [
        "model",
        "diagnosis_code",
        "diagnosis_text",
        "treating_clinician",
        "has_trauma_history",
        "goals",
        "therapist_from_directory",
        "therapist_email",
        "therapist_name",
        "therapist_fee",
        "dose_route",
        "planned_doses",
        "planned_preparation_sessions",
        "planned_integration_sessions",
    ]

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        clinic = patient.clinic
        self.fields["treating_clinician"] = _clinician_field(
            clinic, "Treating clinician", "Not assigned yet"
        )
        self.use_directory_of(clinic)
        self.fields[
            "planned_doses"
        ].help_text = f"Empty: the clinic's induction series, {clinic.induction_doses} doses."
        self.fields["planned_preparation_sessions"].help_text = (
            f"Empty: {clinic.preparation_sessions_required}, or "
            f"{clinic.preparation_sessions_with_trauma} with a trauma history (clinic settings)."
        )
        self.fields["planned_integration_sessions"].help_text = "Empty: one after each dose."

    def clean_diagnosis_code(self):
        code = self.cleaned_data["diagnosis_code"]
        if not rules.icd10_code_is_valid(code):
            raise forms.ValidationError(
                "Enter an ICD-10-CM code: a letter, two digits, then optionally a dot and up "
                "to four more characters, e.g. F33.2."
            )
        return rules.normalise_icd10(code)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("model") == rules.STANDALONE:
            # Not KAP: no therapist. What was typed there is ignored, and so are its errors.
            for name in (
                "therapist_from_directory",
                "therapist_email",
                "therapist_name",
                "therapist_fee",
            ):
                self.errors.pop(name, None)
                cleaned[name] = None if name == "therapist_fee" else ""
            for name in ("planned_preparation_sessions", "planned_integration_sessions"):
                self.errors.pop(name, None)
                cleaned[name] = None
        return cleaned

    def episode_input(self) -> services.EpisodeInput:
        data = self.cleaned_data
        return services.EpisodeInput(
            model=data["model"],
            diagnosis_code=data["diagnosis_code"],
            diagnosis_text=data["diagnosis_text"],
            treating_clinician=data["treating_clinician"],
            has_trauma_history=data["has_trauma_history"],
            goals=data["goals"],
            dose_route=data["dose_route"],
            therapist_fee=data["therapist_fee"],
            planned_doses=data["planned_doses"],
            planned_preparation_sessions=data["planned_preparation_sessions"],
            planned_integration_sessions=data["planned_integration_sessions"],
        )


class PlanForm(TherapistFields):
    """Change the plan of an open episode."""

    dose_route = forms.ChoiceField(
        label="Planned route",
        choices=DoseRoute.choices,
        error_messages={"invalid_choice": "Choose a route from the list."},
    )
    planned_doses = forms.IntegerField(
        label="Planned doses",
        min_value=1,
        max_value=99,
        error_messages={
            "required": "Enter the number of doses planned.",
            "invalid": "Enter a whole number, e.g. 6.",
            "min_value": "Plan at least one dose.",
            "max_value": "Enter at most 99.",
        },
    )
    planned_esketamine_mg = forms.TypedChoiceField(
        label="Planned esketamine dose",
        choices=[("", "56 mg (the starting dose)"), ("56", "56 mg"), ("84", "84 mg")],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Intranasal (esketamine) only: the dose from the second treatment; the "
        "first is 56 mg. The Good Faith Estimate codes it G2082 (up to 56 mg) or G2083.",
        error_messages={"invalid_choice": "Choose 56 or 84 mg."},
    )
    planned_preparation_sessions = _count_field("Planned preparation sessions")
    planned_integration_sessions = _count_field("Planned integration sessions")
    treating_clinician = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    model = forms.ChoiceField(
        label="Model of care",
        choices=CareModel.choices,
        required=False,  # left out: the episode keeps its model
        help_text="Changing it asks the patient to sign the treatment consent for the new "
        "model before their next dose.",
        error_messages={"invalid_choice": "Choose one of the four models."},
    )

    field_order = [
        "model",
        "treating_clinician",
        "therapist_from_directory",
        "therapist_email",
        "therapist_name",
        "therapist_fee",
        "dose_route",
        "planned_doses",
        "planned_esketamine_mg",
        "planned_preparation_sessions",
        "planned_integration_sessions",
    ]

    def __init__(self, *args, episode: Episode, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "model": episode.model,
                "dose_route": episode.dose_route,
                "planned_doses": episode.planned_doses,
                "planned_esketamine_mg": episode.planned_esketamine_mg or "",
                "planned_preparation_sessions": episode.planned_preparation_sessions,
                "planned_integration_sessions": episode.planned_integration_sessions,
                "therapist_fee": episode.therapist_fee,
                "treating_clinician": episode.treating_clinician_id,
                "therapist_email": episode.therapist.email if episode.therapist_id else "",
                "therapist_from_directory": episode.therapist.email if episode.therapist_id else "",
            },
        )
        super().__init__(*args, **kwargs)
        self.episode = episode
        self.fields["treating_clinician"] = _clinician_field(
            episode.clinic, "Treating clinician", "Not assigned"
        )
        self.use_directory_of(episode.clinic)
        if not episode.is_kap:
            for name in (
                "therapist_from_directory",
                "therapist_email",
                "therapist_name",
                "therapist_fee",
                "planned_preparation_sessions",
                "planned_integration_sessions",
            ):
                del self.fields[name]

    def plan_input(self) -> services.PlanInput:
        data = self.cleaned_data
        return services.PlanInput(
            dose_route=data["dose_route"],
            planned_doses=data["planned_doses"],
            planned_esketamine_mg=data.get("planned_esketamine_mg"),
            planned_preparation_sessions=data.get("planned_preparation_sessions") or 0,
            planned_integration_sessions=data.get("planned_integration_sessions") or 0,
            therapist_fee=data.get("therapist_fee"),
            treating_clinician=data["treating_clinician"],
            therapist=self.therapist_input() if self.episode.is_kap else None,
            model=data.get("model") or None,
        )


class StateForm(forms.Form):
    """Move the episode along one of its allowed edges, saying why where it is needed."""

    to_state = forms.ChoiceField(
        label="Move to",
        error_messages={
            "required": "Choose the state to move to.",
            "invalid_choice": "Choose a state from the list.",
        },
    )
    reason = forms.CharField(
        label="Why",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed to stop care, to find the patient not eligible, or to go back a step.",
    )

    def __init__(self, *args, episode: Episode, **kwargs):
        super().__init__(*args, **kwargs)
        self.episode = episode
        self.fields["to_state"].choices = [("", "Choose…"), *episode.next_states]

    def clean(self):
        cleaned = super().clean()
        to_state = cleaned.get("to_state")
        if to_state:
            place_transition_problem(self, to_state, cleaned.get("reason", ""))
        return cleaned


def place_transition_problem(form: StateForm, to_state: str, reason: str) -> None:
    """Put the rules' objection at the field it is about: a missing reason at the reason,
    anything else at the state chosen."""
    episode = form.episode
    problem = rules.transition_problem(episode.state, to_state, episode.model, reason)
    if problem is None:
        return
    only_the_reason = (
        rules.transition_problem(episode.state, to_state, episode.model, "given") is None
    )
    form.add_error("reason" if only_the_reason else "to_state", problem)


class SessionForm(forms.Form):
    """Plan a session of the episode; at the clinic it books a room and/or a clinician."""

    kind = forms.ChoiceField(
        label="Session",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the kind of session.",
            "invalid_choice": "Choose a kind of session from the list.",
        },
    )
    start = forms.DateTimeField(
        label="Starts",
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        validators=[validate_clinic_date],
        error_messages={
            "required": "Enter the date and time the session starts.",
            "invalid": "Enter a date and time, e.g. 2026-12-01 09:30.",
        },
    )
    room = forms.ModelChoiceField(
        label="Room",
        queryset=Room.objects.none(),
        required=False,
        empty_label="No room (at the therapist's practice or online)",
        error_messages={"invalid_choice": "Choose one of the clinic's rooms in use."},
    )
    clinician = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    run_by = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args, episode: Episode, **kwargs):
        super().__init__(*args, **kwargs)
        self.episode = episode
        clinic = episode.clinic
        self.zone = clinic.zone
        kinds = rules.session_kinds_for(episode.model)
        self.fields["kind"].choices = [(k, rules.SESSION_KINDS[k]) for k in kinds]
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0]
        self.fields["start"].help_text = (
            f"In the clinic's time zone ({clinic.time_zone}). A dosing session holds its room "
            f"and clinician for {services.session_minutes(clinic, rules.DOSING)} minutes, "
            f"other sessions {services.session_minutes(clinic, rules.PREPARATION)}."
        )
        self.fields["room"].queryset = Room.objects.filter(clinic_id=clinic.pk, is_active=True)
        self.fields["clinician"] = _clinician_field(
            clinic, "Clinician", "No clinician at the clinic"
        )
        self.fields["clinician"].help_text = "Booked for the whole session; a dose needs one."
        people = User.objects.filter(
            clinic_id=clinic.pk, role=Role.CLINICIAN, is_active=True
        ) | User.objects.filter(pk=episode.therapist_id)
        self.fields["run_by"] = forms.ModelChoiceField(
            label="Run by",
            queryset=people,
            required=False,
            empty_label="The clinician booked, or else the therapist",
            error_messages={"invalid_choice": "Choose a clinician or the episode's therapist."},
        )
        self.fields["run_by"].label_from_instance = lambda user: (
            f"{user.display_name} (therapist)" if user.role == Role.THERAPIST else user.display_name
        )

    def clean_start(self) -> dt.datetime:
        start = self.cleaned_data["start"]
        # The typed time is the clinic's wall clock, whatever zone the reader is in.
        return timezone.make_aware(start.replace(tzinfo=None), self.zone)

    def session_input(self) -> services.SessionInput:
        data = self.cleaned_data
        return services.SessionInput(
            kind=data["kind"],
            starts_at=data["start"],
            room=data["room"],
            clinician=data["clinician"],
            run_by=data["run_by"],
        )


RECORDABLE = {
    rules.DONE: "Done",
    rules.MISSED: "Missed",
    rules.CANCELLED: "Cancelled",
}


def recordable_statuses(session: CareSession) -> list[tuple[str, str]]:
    """What may be recorded for the session now: a dosing session becomes done only once
    started (from its gates page), so a planned one may only be missed or cancelled."""
    allowed = rules.SESSION_TRANSITIONS[session.kind].get(session.status, frozenset())
    return [(status, label) for status, label in RECORDABLE.items() if status in allowed]


class SessionStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="What happened",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what happened.",
            "invalid_choice": "Choose one of the outcomes listed.",
        },
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when missed or cancelled: say why.",
    )

    therapist_confirmation = forms.CharField(
        label="The therapist's confirmation",
        required=False,
        max_length=300,
        help_text="How and when the therapist confirmed the session was held, e.g. "
        '"email from R. Kim, Dec 3". Required to record it as done: without it the '
        "session does not count towards the dosing gates.",
    )

    def __init__(self, *args, session: CareSession, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = recordable_statuses(session)
        episode = session.episode
        therapist = episode.therapist if episode.therapist_id else None
        if therapist is None or not rules.needs_therapist_confirmation(
            model=episode.model,
            kind=session.kind,
            to_status=rules.DONE,
            therapist_id=episode.therapist_id,
            recorder_id=user.pk if user is not None else None,
        ):
            del self.fields["therapist_confirmation"]
        else:
            self.fields["therapist_confirmation"].label = f"{therapist}'s confirmation"
