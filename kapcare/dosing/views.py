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
    record = get_record(request, session_id)
    session = record.session
    return render(
        request,
        "dosing/record.html",
        {
            "record": record,
            "session": session,
            "patient": record.patient,
            "parts": parts_for(request, record),
            "can_view_gates": policy.can(request.user, Action.VIEW_DOSING_GATES, session),
        },
    )
