"""The series page: propose an episode's induction series (`series_rules.plan_series`), let the
coordinator adjust it, and book every chosen session in one step
(`services.add_sessions`: all or nothing, each conflict named at its row).

The proposal reads the clinic's rooms, clinicians, their working hours, time off and
booked appointments, and the episode's sessions, in a fixed number of queries.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from kapcare.audit.log import Actor
from kapcare.decorators import allowed
from kapcare.episodes import booking_questions, rules, services
from kapcare.episodes.access import get_episode, log_redisplay, reading
from kapcare.episodes.forms import clinicians_of
from kapcare.episodes.gates import warning_registry
from kapcare.episodes.models import CareSession, Episode, SessionStatus
from kapcare.episodes.series import readiness
from kapcare.episodes.series import rules as series_rules
from kapcare.episodes.series.forms import SeriesChoiceForm, SessionRowFormSet
from kapcare.policy import Action
from kapcare.scheduling.models import Appointment, AppointmentStatus, Room, TimeOff, WorkingHours

PREFIX = "sessions"
VISIBLE_FIELDS = {"start", "room", "clinician"}
# Sessions that no longer hold their place in the course.
NOT_COUNTED = (SessionStatus.CANCELLED, SessionStatus.MISSED)


@dataclass(frozen=True)
class Remaining:
    """What the episode's plan still lacks, after the sessions already planned or done."""

    doses: int
    preparation: int
    integration: int
    previous_dose_at: datetime | None


def remaining(episode: Episode) -> Remaining:
    """One query: the patient's doses (any episode, for the interval) and this episode's
    sessions, counted against its plan."""
    rows = list(
        CareSession.objects.filter(patient_id=episode.patient_id)
        .exclude(status__in=NOT_COUNTED)
        .values_list("episode_id", "kind", "planned_start", "started_at")
    )
    here = [kind for episode_id, kind, _, _ in rows if episode_id == episode.pk]
    given = [started or planned for _, kind, planned, started in rows if kind == rules.DOSING]
    kap = episode.is_kap
    return Remaining(
        doses=max(0, episode.planned_doses - here.count(rules.DOSING)),
        preparation=max(0, episode.planned_preparation_sessions - here.count(rules.PREPARATION))
        if kap
        else 0,
        integration=max(0, episode.planned_integration_sessions - here.count(rules.INTEGRATION))
        if kap
        else 0,
        previous_dose_at=max(given, default=None),
    )


def _busy(rooms, clinicians, starts_at, ends_at):
    """Booked appointments of those rooms and clinicians, and the clinicians' time off,
    overlapping [starts_at, ends_at): two queries."""
    room_busy: dict[int, list] = {room.pk: [] for room in rooms}
    clinician_busy: dict[int, list] = {user.pk: [] for user in clinicians}
    appointments = (
        Appointment.objects.overlapping(starts_at, ends_at).filter(
            Q(room_id__in=room_busy) | Q(clinician_id__in=clinician_busy),
            status=AppointmentStatus.BOOKED,
        )
    ).values_list("room_id", "clinician_id", "starts_at", "ends_at")
    for room_id, clinician_id, start, end in appointments:
        if room_id in room_busy:
            room_busy[room_id].append((start, end))
        if clinician_id in clinician_busy:
            clinician_busy[clinician_id].append((start, end))
    away = TimeOff.objects.filter(
        clinician_id__in=clinician_busy, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).values_list("clinician_id", "starts_at", "ends_at")
    for clinician_id, start, end in away:
        clinician_busy[clinician_id].append((start, end))
    return room_busy, clinician_busy


def _weeks(clinicians) -> dict[int, dict[int, list[tuple[time, time]]]]:
    """Each clinician's weekly shifts, in one query."""
    weeks: dict[int, dict[int, list]] = {user.pk: {} for user in clinicians}
    shifts = WorkingHours.objects.filter(clinician_id__in=weeks).values_list(
        "clinician_id", "weekday", "starts", "ends"
    )
    for clinician_id, weekday, starts, ends in shifts:
        weeks[clinician_id].setdefault(weekday, []).append((starts, ends))
    return weeks


def propose(
    episode: Episode, choice: dict, rooms, clinicians, now: datetime
) -> series_rules.SeriesPlan:
    """The proposal for `episode` from the chosen first day, clinician and room."""
    clinic = episode.clinic
    if episode.is_closed:
        return series_rules.SeriesPlan(
            problem=f"This episode is {episode.get_state_display().lower()}; open a new one "
            "to plan a series."
        )
    left = remaining(episode)
    if left.doses < 1:
        return series_rules.SeriesPlan(
            problem=f"All {episode.planned_doses} planned doses of this episode are already "
            "planned; change the plan to add more."
        )
    rooms = [choice["room"]] if choice.get("room") else rooms
    clinicians = [choice["clinician"]] if choice.get("clinician") else clinicians
    zone = clinic.zone
    first_day = choice["first_day"]
    horizon_start = timezone.make_aware(datetime.combine(first_day, time(0, 0)), zone)
    horizon_end = horizon_start + timedelta(days=2 * clinic.induction_span_days + 2)
    room_busy, clinician_busy = _busy(rooms, clinicians, horizon_start, horizon_end)
    weeks = _weeks(clinicians)
    request = series_rules.SeriesRequest(
        first_day=first_day,
        not_before=now,
        zone=zone,
        doses=left.doses,
        minimum_interval_hours=clinic.minimum_dose_interval_hours,
        span_days=clinic.induction_span_days,
        dosing_minutes=services.session_minutes(clinic, rules.DOSING),
        therapy_minutes=services.session_minutes(clinic, rules.INTEGRATION),
        integration_window_hours=clinic.integration_window_hours,
        preparation_sessions=left.preparation,
        integration_sessions=left.integration,
        rooms=[room.pk for room in rooms],
        room_busy=room_busy,
        clinicians=[
            series_rules.ClinicianWeek(user.pk, weeks[user.pk], clinician_busy[user.pk])
            for user in clinicians
        ],
        earliest_time=choice.get("earliest_time"),
        previous_dose_at=left.previous_dose_at,
        working_days=clinic.working_weekdays,
    )
    return series_rules.plan_series(request)


def _initial_rows(plan: series_rules.SeriesPlan, rooms, clinicians, zone) -> list[dict]:
    room_ids = {room.pk: str(room.external_id) for room in rooms}
    clinician_ids = {user.pk: str(user.external_id) for user in clinicians}
    return [
        {
            "include": True,
            "kind": session.kind,
            "dose_number": session.dose_number,
            "start": session.starts_at.astimezone(zone).replace(tzinfo=None),
            "room": room_ids.get(session.room, ""),
            "clinician": clinician_ids.get(session.clinician, ""),
        }
        for session in plan.sessions
    ]


def _clinicians(episode: Episode) -> list:
    """The clinic's clinicians, the episode's treating clinician first."""
    people = list(clinicians_of(episode.clinic).order_by("full_name", "pk"))
    return sorted(people, key=lambda user: user.pk != episode.treating_clinician_id)


def _row_problems(problems: dict[str, str]) -> dict[str, str]:
    """The scheduler names the appointment's time `starts_at`; the row calls it `start`."""
    return {("start" if name == "starts_at" else name): text for name, text in problems.items()}


@allowed(Action.MANAGE_EPISODES)
def plan(request: HttpRequest, episode_id) -> HttpResponse:
    """GET: the proposal from the chosen first day, as rows to adjust. POST ("Book all"):
    every ticked row booked in one transaction, or nothing, each problem at its row."""
    episode = get_episode(request, episode_id, Action.MANAGE_EPISODES, log_as=reading(request))
    clinic = episode.clinic
    rooms = list(Room.objects.filter(clinic_id=clinic.pk, is_active=True).order_by("name", "pk"))
    clinicians = _clinicians(episode)
    now = timezone.now()
    tomorrow = timezone.localtime(now, clinic.zone).date() + timedelta(days=1)
    choice_form = SeriesChoiceForm(
        request.GET if "first_day" in request.GET else None,
        initial={"first_day": tomorrow},
        clinic=clinic,
        rooms=rooms,
        clinicians=clinicians,
    )
    row_kwargs = {"episode": episode, "rooms": rooms, "clinicians": clinicians}
    proposal = None
    # The questions apps above ask at booking (the coverage question), each its own form.
    questions = booking_questions.ask_all(
        episode, request.POST if request.method == "POST" else None
    )
    if request.method == "POST":
        formset = SessionRowFormSet(
            request.POST, episode=episode, form_kwargs=row_kwargs, prefix=PREFIX
        )
        answered = booking_questions.all_valid(questions)
        if formset.is_valid() and answered:
            booked = _book(request, episode, formset, booking_questions.answers_of(questions))
            if booked is not None:
                messages.success(
                    request, f"{len(booked)} session{'' if len(booked) == 1 else 's'} booked."
                )
                return redirect("episodes:detail", episode_id=episode.external_id)
        log_redisplay(request, episode)
    else:
        if not choice_form.is_bound:
            proposal = propose(episode, {"first_day": tomorrow}, rooms, clinicians, now)
        elif choice_form.is_valid():
            proposal = propose(episode, choice_form.cleaned_data, rooms, clinicians, now)
        else:
            proposal = series_rules.SeriesPlan(
                problem="Correct the choices above to see a proposal."
            )
        formset = SessionRowFormSet(
            initial=_initial_rows(proposal, rooms, clinicians, clinic.zone),
            episode=episode,
            form_kwargs=row_kwargs,
            prefix=PREFIX,
        )
    return render(
        request,
        "episodes/series_plan.html",
        {
            "episode": episode,
            "patient": episode.patient,
            "clinic": clinic,
            "choice_form": choice_form,
            "proposal": proposal,
            "formset": formset,
            "questions": questions,
            "dosing_minutes": services.session_minutes(clinic, rules.DOSING),
            # What apps above episodes warn about before booking (the coverage question).
            "warnings": warning_registry.warnings_for(
                [episode], timezone.localdate(timezone=clinic.zone)
            ).get(episode.pk, []),
            "readiness_warnings": readiness.warnings_for(episode),
        },
    )


def _book(request: HttpRequest, episode: Episode, formset, answers) -> list | None:
    """Book the ticked rows (and keep the booking questions' answers with them); on a
    refusal put each problem at its row and return None."""
    rows = formset.session_inputs()
    try:
        return services.add_sessions(
            actor=Actor.from_request(request),
            episode=episode,
            sessions=[data for _, data in rows],
            answers=answers,
        )
    except services.SeriesRefused as refused:
        for position, problems in refused.rows.items():
            form = formset.forms[rows[position][0]]
            for name, message in _row_problems(problems).items():
                form.add_error(name if name in VISIBLE_FIELDS else None, message)
        formset.refusal = refused.problems["__all__"]
        return None
