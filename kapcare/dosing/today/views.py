"""The Today board on the clinician's and the front desk's home pages, and the fragments
htmx polls: the board itself (every `BOARD_POLL_SECONDS`, and at once after a check-in) and
each not-yet-started session's gates (every `GATES_POLL_SECONDS`).

Both fragments answer 204 when nothing changed since the page's copy (`seen`: a
fingerprint of what it shows), so that the page keeps what it shows and the access log
records a read only when something new was shown, as the dosing record's live vitals do.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from kapcare import policy
from kapcare.audit.log import Actor, record_access, record_list_access
from kapcare.audit.models import AccessAction
from kapcare.decorators import allowed
from kapcare.dosing.today.board import today_board
from kapcare.episodes.access import get_session
from kapcare.episodes.check_in.views import BOARD_REFRESH_EVENT
from kapcare.episodes.gates import facts as gate_facts
from kapcare.policy import Action

BOARD_POLL_SECONDS = 20
GATES_POLL_SECONDS = 60


def _board_html(request: HttpRequest, seen: str | None) -> str | None:
    """The board as HTML, wrapped in the element that polls for it, or None when the
    page's copy (`seen`) is what it would show. The patients it names are logged (one
    insert) only when it is sent."""
    board = today_board(request.user.clinic, timezone.now())
    if seen == board.fingerprint:
        return None
    record_list_access(Actor.from_request(request), board.patients)
    return render_to_string(
        "dosing/today/_board.html",
        {
            "board": board,
            "can_check_in": policy.can(request.user, Action.CHECK_IN_SESSION),
            "gates_poll_seconds": GATES_POLL_SECONDS,
            "poll_seconds": BOARD_POLL_SECONDS,
            "refresh_event": BOARD_REFRESH_EVENT,
            "board_url": reverse("today:board"),
        },
        request=request,
    )


def board_for_home(request: HttpRequest) -> dict:
    """The home page's context for the board (`today_board`), for the roles that see it."""
    if not policy.can(request.user, Action.VIEW_TODAY_BOARD):
        return {}
    return {"today_board": mark_safe(_board_html(request, None))}


@require_GET
@allowed(Action.VIEW_TODAY_BOARD)
def board(request: HttpRequest) -> HttpResponse:
    html = _board_html(request, request.GET.get("seen"))
    return HttpResponse(status=204) if html is None else HttpResponse(html)


@require_GET
@allowed(Action.VIEW_DOSING_GATES)
def session_gates(request: HttpRequest, session_id) -> HttpResponse:
    """How many of a planned dosing session's gates do not pass yet (not passed and not
    waived), from `gates.facts.gate_report`, the report the gates page and the start read."""
    session = get_session(request, session_id, Action.VIEW_DOSING_GATES, log_as=None)
    if not session.is_dosing:
        raise Http404("Only a dosing session has gates.")
    report = gate_facts.gate_report(session, timezone.now())
    blocking = report.blocking
    seen = ",".join(sorted(g.rule for g in blocking)) or "none"
    if request.GET.get("seen") == seen:
        return HttpResponse(status=204)
    record_access(
        Actor.from_request(request), AccessAction.VIEW, patient=session.patient, obj=session
    )
    return render(
        request,
        "dosing/today/_gates.html",
        {
            "session": session,
            "blocking": blocking,
            "seen": seen,
            "poll_seconds": GATES_POLL_SECONDS,
        },
    )
