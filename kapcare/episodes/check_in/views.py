"""The check-in button of the Today board: a POST that checks the patient in and goes back
to the board (or, from htmx, answers a line for the board's status region and asks the
board to refresh)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from kapcare.audit.log import Actor
from kapcare.decorators import allowed
from kapcare.episodes.access import get_session
from kapcare.episodes.check_in import services
from kapcare.policy import Action
from kapcare.refusals import Refused

# The event the board listens for to fetch itself again at once.
BOARD_REFRESH_EVENT = "today-board-changed"


@require_POST
@allowed(Action.CHECK_IN_SESSION)
def check_in(request: HttpRequest, session_id) -> HttpResponse:
    session = get_session(request, session_id, Action.CHECK_IN_SESSION, log_as=None)
    name = session.patient.display_name
    try:
        services.check_in(actor=Actor.from_request(request), session=session)
    except Refused as error:
        problem = " ".join(error.problems.values())
        if request.headers.get("HX-Request"):
            return HttpResponse(
                format_html('<p class="message message-error">{}: {}</p>', name, problem)
            )
        messages.error(request, f"{name}: {problem}")
        return redirect("home")
    done = f"{name} is checked in."
    if request.headers.get("HX-Request"):
        response = HttpResponse(format_html('<p class="message message-success">{}</p>', done))
        response["HX-Trigger"] = BOARD_REFRESH_EVENT
        return response
    messages.success(request, done)
    return redirect("home")
