"""A dosing session's gates page: each rule with its result in words, the sentence and
the link that fixes it; the day-of checklist; a waiver per failing rule; and the start.

The page reads the gates through `gate_facts.gate_report`, the same function the start
uses; the writes go through `services`, which log inside their transaction. Every page
fetches the session through `access.get_session` (policy and access log in one step).
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from kapcare import policy
from kapcare.accounts import step_up
from kapcare.audit.log import Actor
from kapcare.decorators import allowed
from kapcare.episodes import services
from kapcare.episodes.access import get_session, log_redisplay, reading
from kapcare.episodes.gates import facts as gate_facts
from kapcare.episodes.gates.forms import DayOfChecklistForm, WaiverForm
from kapcare.episodes.models import CareSession, SessionStatus
from kapcare.policy import Action
from kapcare.refusals import Refused, add_problems, submit


def _dosing_session(request: HttpRequest, session_id, action: Action) -> CareSession:
    """The dosing session, if the user may do `action` on it (a preparation or integration
    session has no gates: 404). A GET is logged here; a POST by its service."""
    session = get_session(request, session_id, action, log_as=reading(request))
    if not session.is_dosing:
        raise Http404("Only a dosing session has gates.")
    return session


def _page(
    request: HttpRequest,
    session: CareSession,
    *,
    checklist_form: DayOfChecklistForm | None = None,
    waiver_form: WaiverForm | None = None,
    start_problems: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    report = gate_facts.gate_report(session, timezone.now())
    user = request.user
    is_planned = session.status == SessionStatus.PLANNED
    if checklist_form is None:
        checklist_form = DayOfChecklistForm(
            initial=DayOfChecklistForm.initial_from(report.checklist)
        )
    waiver_forms = [
        (
            gate,
            waiver_form
            if waiver_form is not None and waiver_form["rule"].value() == gate.rule
            else WaiverForm(rule=gate.rule, user=user),
        )
        for gate in report.waivable
    ]
    return render(
        request,
        "episodes/gates.html",
        {
            "session": session,
            "episode": session.episode,
            "patient": session.patient,
            "report": report,
            "is_planned": is_planned,
            "is_ahead": report.dose_at > timezone.now(),
            "checklist_form": checklist_form,
            "waiver_forms": waiver_forms,
            "start_problems": list((start_problems or {}).values()),
            "can_record_checklist": is_planned
            and policy.can(user, Action.RECORD_DAY_OF_CHECKLIST, session),
            "can_waive": is_planned and policy.can(user, Action.WAIVE_GATE, session),
            "can_start": is_planned and policy.can(user, Action.START_DOSING_SESSION, session),
        },
        status=status,
    )


def _back(session: CareSession, anchor: str = "") -> HttpResponse:
    return redirect(reverse("gates:session", args=[session.external_id]) + anchor)


@require_safe
@allowed(Action.VIEW_DOSING_GATES)
def session_gates(request: HttpRequest, session_id) -> HttpResponse:
    session = _dosing_session(request, session_id, Action.VIEW_DOSING_GATES)
    return _page(request, session)


@require_POST
@allowed(Action.RECORD_DAY_OF_CHECKLIST)
def record_checklist(request: HttpRequest, session_id) -> HttpResponse:
    session = _dosing_session(request, session_id, Action.RECORD_DAY_OF_CHECKLIST)
    form = DayOfChecklistForm(request.POST)

    def write(data):
        return services.record_day_of_checklist(
            actor=Actor.from_request(request), session=session, data=form.to_input()
        )

    if submit(form, write) is not None:
        messages.success(request, "Day-of checklist saved; the gates are evaluated again.")
        return _back(session, "#gates-heading")
    log_redisplay(request, session)
    return _page(request, session, checklist_form=form, status=422)


@require_POST
@allowed(Action.WAIVE_GATE)
def waive(request: HttpRequest, session_id) -> HttpResponse:
    session = _dosing_session(request, session_id, Action.WAIVE_GATE)
    form = WaiverForm(request.POST, rule=request.POST.get("rule", ""), user=request.user)
    if form.is_valid():
        try:
            services.waive_gate(
                actor=Actor.from_request(request),
                session=session,
                rule=form.cleaned_data["rule"],
                reason=form.cleaned_data["reason"],
                reauthentication=form.cleaned_data[step_up.FIELD],
            )
        except Refused as refusal:
            if "rule" in refusal.problems:
                # The rule passes now or was waived meanwhile: the page says where it stands.
                messages.error(request, refusal.problems["rule"])
                return _back(session, "#gates-heading")
            add_problems(form, refusal.problems)
        else:
            messages.success(request, "Waiver recorded with your reason.")
            return _back(session, "#gates-heading")
    log_redisplay(request, session)
    return _page(request, session, waiver_form=form, status=422)


@require_POST
@allowed(Action.START_DOSING_SESSION)
def start(request: HttpRequest, session_id) -> HttpResponse:
    session = _dosing_session(request, session_id, Action.START_DOSING_SESSION)
    try:
        services.start_dosing_session(actor=Actor.from_request(request), session=session)
    except Refused as refusal:
        log_redisplay(request, session)
        return _page(request, session, start_problems=refusal.problems, status=422)
    messages.success(request, "Dosing session started.")
    return _back(session)
