"""The dosing session's record page: every part of the record, in the order a session
runs, for the clinic's staff. The parts' forms post to their own modules' views."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kapcare import policy
from kapcare.decorators import allowed
from kapcare.dosing.access import get_record
from kapcare.dosing.sections import parts_for
from kapcare.policy import Action


@require_GET
@allowed(Action.VIEW_DOSING_RECORD)
def record(request: HttpRequest, session_id) -> HttpResponse:
    return render_record(request, get_record(request, session_id))


def render_record(
    request: HttpRequest, record, *, status: int = 200, **overrides: dict
) -> HttpResponse:
    """The record page. A part's view that refuses a form shows the page again with
    `status` 422 and its own context changed: `overrides` maps a part's key to what
    replaces its context's entries (`vitals={"form": bound_form}`), so nothing typed is
    lost."""
    session = record.session
    parts = [
        (part, {**context, **overrides.get(part.key, {})})
        for part, context in parts_for(request, record)
    ]
    return render(
        request,
        "dosing/record.html",
        {
            "record": record,
            "session": session,
            "patient": record.patient,
            "parts": parts,
            "can_view_gates": policy.can(request.user, Action.VIEW_DOSING_GATES, session),
        },
        status=status,
    )
