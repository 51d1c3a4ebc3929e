"""The dosing session's record page: every part of the record, in the order a session
runs, for the clinic's staff. The parts' forms post to their own modules' views."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from kapcare import policy
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
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


def render_refused(request: HttpRequest, record, **overrides: dict) -> HttpResponse:
    """The record page again after a part's form was refused (422): nothing was written,
    yet the record was shown again, so the view is logged here."""
    record_access(
        Actor.from_request(request), AccessAction.VIEW, patient=record.patient, obj=record
    )
    return render_record(request, record, status=422, **overrides)


def back_to_record(record, anchor: str = "") -> HttpResponse:
    """After a part's write: the record page, at that part (`anchor`, e.g. "#dose")."""
    return redirect(reverse("dosing:record", args=[record.session.external_id]) + anchor)
