"""Episode pages: open an episode, its page (state, history, the timeline of sessions,
waivers, the estimate), change its plan, plan a session and record what happened.

Every page fetches its record through `access.get_episode` / `get_session` (policy and
access log in one step) or `patients.access.get_patient_for_form`; every write goes through
`services`, which logs inside its transaction. A POST that writes nothing logs the
redisplay.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from kapcare import policy
from kapcare.audit.log import Actor
from kapcare.decorators import allowed
from kapcare.episodes import booking_questions, rules, services
from kapcare.episodes.access import get_episode, get_session, log_redisplay, reading
from kapcare.episodes.forms import (
    EpisodeForm,
    PlanForm,
    SessionForm,
    SessionStatusForm,
    StateForm,
    place_transition_problem,
    recordable_statuses,
)
from kapcare.episodes.gates import warning_registry
from kapcare.episodes.models import CareSession, Episode, GateWaiver
from kapcare.patients import access as patient_access
from kapcare.policy import Action
from kapcare.pricing.cost import estimate_for_episode
from kapcare.refusals import Refused, add_problems, submit

STATUS_BADGES = {
    rules.PLANNED: "badge-new",
    rules.IN_PROGRESS: "badge-warn",
    rules.DONE: "badge-ok",
    rules.MISSED: "badge-danger",
    rules.CANCELLED: "badge-danger",
}
STATUS_SIGNS = {
    rules.PLANNED: "○",
    rules.IN_PROGRESS: "◐",
    rules.DONE: "✓",
    rules.MISSED: "✕",
    rules.CANCELLED: "–",
}
KIND_LETTERS = {rules.PREPARATION: "P", rules.DOSING: "D", rules.INTEGRATION: "I"}


@dataclass(frozen=True)
class TimelineRow:
    """One session as the timeline shows it: the badge says its status in words and a
    sign, so that colour never carries it alone."""

    session: CareSession

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self.session.status]

    @property
    def sign(self) -> str:
        return STATUS_SIGNS[self.session.status]

    @property
    def letter(self) -> str:
        return KIND_LETTERS[self.session.kind]

    @property
    def can_record(self) -> bool:
        return bool(recordable_statuses(self.session))


def timeline(episode: Episode) -> list[TimelineRow]:
    """The episode's sessions in time order, with whatever the rows show, in one query."""
    sessions = (
        CareSession.objects.filter(episode_id=episode.pk)
        .select_related("run_by", "appointment__room", "appointment__clinician")
        .order_by("planned_start", "id")
    )
    return [TimelineRow(session) for session in sessions]


def next_session(rows: list[TimelineRow], now) -> CareSession | None:
    return next(
        (
            r.session
            for r in rows
            if r.session.status == rules.PLANNED and r.session.planned_start >= now
        ),
        None,
    )


# --- Opening an episode ----------------------------------------------------------------------


@allowed(Action.MANAGE_EPISODES)
def create(request: HttpRequest, patient_id) -> HttpResponse:
    patient = patient_access.get_patient_for_form(request, patient_id, Action.MANAGE_EPISODES)
    form = EpisodeForm(request.POST if request.method == "POST" else None, patient=patient)
    if request.method == "POST":

        def write(data):
            return services.open_episode_naming_therapist(
                actor=Actor.from_request(request),
                patient=patient,
                data=form.episode_input(),
                therapist=form.therapist_input(),
            )

        episode = submit(form, write)
        if episode is not None:
            messages.success(request, f"Episode opened: {episode.get_model_display()}.")
            return redirect("episodes:detail", episode_id=episode.external_id)
        patient_access.log_redisplay(request, patient)
    models = [
        (value, label, rules.MODEL_DESCRIPTIONS[value])
        for value, label in form["model"].field.choices
    ]
    return render(
        request,
        "episodes/episode_form.html",
        {"patient": patient, "form": form, "models": models},
    )


# --- The episode's page ----------------------------------------------------------------------


@allowed(Action.OPEN_CHART)
def detail(request: HttpRequest, episode_id) -> HttpResponse:
    """The episode: header, state (with "Move to" on POST), transitions, the timeline of
    sessions, waivers and the estimate, in a fixed number of queries."""
    posting = request.method == "POST"
    action = Action.CHANGE_EPISODE_STATE if posting else Action.VIEW_EPISODES
    episode = get_episode(request, episode_id, action, log_as=reading(request))
    state_form = StateForm(request.POST if posting else None, episode=episode)
    if posting:
        if state_form.is_valid() and _move_episode(request, episode, state_form):
            messages.success(request, f"The episode is now “{episode.get_state_display()}”.")
            return redirect("episodes:detail", episode_id=episode.external_id)
        log_redisplay(request, episode)
    return render(
        request, "episodes/episode_detail.html", _detail_context(request, episode, state_form)
    )


def _move_episode(request: HttpRequest, episode: Episode, state_form: StateForm) -> bool:
    """Change the episode's state as the valid form asks; False, with the problem at the
    form's field, when the state changed under us and the move is no longer allowed."""
    try:
        services.change_state(
            actor=Actor.from_request(request),
            episode=episode,
            to_state=state_form.cleaned_data["to_state"],
            reason=state_form.cleaned_data["reason"],
        )
    except Refused as refused:
        # The state changed under us: say why at the field, with what we now know.
        episode.refresh_from_db(fields=["state", "state_changed_at"])
        state_form.episode = episode
        place_transition_problem(
            state_form,
            state_form.cleaned_data["to_state"],
            state_form.cleaned_data["reason"],
        )
        if not state_form.errors:
            add_problems(state_form, refused.problems)
        return False
    return True


def _detail_context(request: HttpRequest, episode: Episode, state_form: StateForm) -> dict:
    """What the episode page shows, and which of its actions the user may take."""
    user = request.user
    rows = timeline(episode)
    can_view_estimate = policy.can(user, Action.VIEW_COST_ESTIMATE, episode)
    return {
        "episode": episode,
        "patient": episode.patient,
        "zone": episode.clinic.time_zone,
        "state_form": state_form,
        "transitions": episode.transitions.select_related("changed_by").order_by(
            "changed_at", "id"
        ),
        "rows": rows,
        "next_session": next_session(rows, timezone.now()),
        "waivers": GateWaiver.objects.filter(session__episode_id=episode.pk)
        .select_related("waived_by", "session")
        .order_by("waived_at", "id"),
        "estimate": estimate_for_episode(episode) if can_view_estimate else None,
        "can_change_state": policy.can(user, Action.CHANGE_EPISODE_STATE, episode)
        and bool(episode.next_states),
        "can_manage": policy.can(user, Action.MANAGE_EPISODES, episode),
        "can_record": policy.can(user, Action.RECORD_CARE_SESSION, episode),
        "can_view_gates": policy.can(user, Action.VIEW_DOSING_GATES, episode),
        # What apps above episodes warn about (the outside therapist's credentials).
        "warnings": warning_registry.warnings_for(
            [episode], timezone.localdate(timezone=episode.clinic.zone)
        ).get(episode.pk, []),
    }


@allowed(Action.MANAGE_EPISODES)
def edit(request: HttpRequest, episode_id) -> HttpResponse:
    """Change the plan: the model of care (a new one asks the patient to re-consent),
    route, doses, preparation and integration, the fee, the treating clinician and the
    therapist."""
    episode = get_episode(request, episode_id, Action.MANAGE_EPISODES, log_as=reading(request))
    form = PlanForm(request.POST if request.method == "POST" else None, episode=episode)
    if request.method == "POST":

        def write(data):
            return services.update_plan(
                actor=Actor.from_request(request),
                episode=episode,
                data=form.plan_input(),
            )

        if submit(form, write) is not None:
            messages.success(request, "The plan is saved.")
            return redirect("episodes:detail", episode_id=episode.external_id)
        log_redisplay(request, episode)
    return render(
        request,
        "episodes/plan_form.html",
        {"episode": episode, "patient": episode.patient, "form": form},
    )


# --- Sessions --------------------------------------------------------------------------------


@allowed(Action.MANAGE_EPISODES)
def session_create(request: HttpRequest, episode_id) -> HttpResponse:
    """Plan a session; a booking conflict is named at the top of the form, nothing typed
    is lost."""
    episode = get_episode(request, episode_id, Action.MANAGE_EPISODES, log_as=reading(request))
    posted = request.POST if request.method == "POST" else None
    form = SessionForm(posted, episode=episode)
    # The questions apps above ask at booking (the coverage question), each its own form.
    questions = booking_questions.ask_all(episode, posted)
    if request.method == "POST":

        def write(data):
            try:
                return services.add_session(
                    actor=Actor.from_request(request),
                    episode=episode,
                    data=form.session_input(),
                    answers=booking_questions.answers_of(questions),
                )
            except Refused as refused:
                raise Refused(_session_problems_for_form(refused.problems)) from refused

        if booking_questions.all_valid(questions):
            session = submit(form, write)
        else:
            session = None
            form.is_valid()  # the session's own problems are shown too
        if session is not None:
            start = timezone.localtime(session.planned_start, episode.clinic.zone)
            messages.success(
                request,
                f"{session.get_kind_display()} planned for {start:%a %b} {start.day}, "
                f"{start:%H:%M}.",
            )
            return redirect("episodes:detail", episode_id=episode.external_id)
        log_redisplay(request, episode)
    return render(
        request,
        "episodes/session_form.html",
        {"episode": episode, "patient": episode.patient, "form": form, "questions": questions},
    )


def _session_problems_for_form(problems: dict[str, str]) -> dict[str, str]:
    """The scheduler names the appointment's time `starts_at`; the form calls it `start`."""
    return {("start" if name == "starts_at" else name): text for name, text in problems.items()}


@allowed(Action.RECORD_CARE_SESSION)
def session_record(request: HttpRequest, session_id) -> HttpResponse:
    """Record a session as done, missed or cancelled. For now staff record preparation
    and integration sessions the outside therapist ran; a dose is done only once started
    from its gates page."""
    session = get_session(request, session_id, Action.RECORD_CARE_SESSION, log_as=reading(request))
    form = SessionStatusForm(
        request.POST if request.method == "POST" else None, session=session, user=request.user
    )
    if request.method == "POST":

        def write(data):
            return services.record_session_status(
                actor=Actor.from_request(request),
                session=session,
                to_status=data["status"],
                note=data["note"],
                therapist_confirmation=data.get("therapist_confirmation", ""),
            )

        if submit(form, write) is not None:
            messages.success(request, f"{session.get_kind_display()} recorded.")
            return redirect("episodes:detail", episode_id=session.episode.external_id)
        log_redisplay(request, session)
    return render(
        request,
        "episodes/session_record.html",
        {
            "session": session,
            "episode": session.episode,
            "patient": session.patient,
            "zone": session.episode.clinic.time_zone,
            "form": form,
            "row": TimelineRow(session),
        },
    )
