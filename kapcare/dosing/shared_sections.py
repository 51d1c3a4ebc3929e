"""The Session summaries section of the shared record an outside therapist sees (scope
`session_summaries`): the summaries a clinician released, newest first, with the session's
day. Not the drafts, not who wrote them, nothing else of the dosing record: the summary is
what the clinic chose to tell the therapist (minimum necessary, 45 CFR 164.502(b)).
Registered in `patients.shared` from `dosing.registrations`; the shared-record view logs
the therapist's read, which the access log records as a disclosure."""

from dataclasses import dataclass
from datetime import datetime

from kapcare import policy
from kapcare.dosing.models import TherapistSummary
from kapcare.patients import shared
from kapcare.policy import Action
from kapcare.scopes import Scope

TEMPLATE = "dosing/_shared_summaries.html"


@dataclass(frozen=True)
class SharedSummary:
    session_start: datetime
    released_at: datetime
    text: str


def shared_summaries(request, patient) -> dict | None:
    """The released summaries, or None unless the user may read them (for a therapist: a
    live authorisation with the `session_summaries` scope). One query (and the policy's)."""
    if not policy.can(request.user, Action.VIEW_SESSION_SUMMARIES, patient):
        return None
    summaries = [
        SharedSummary(
            session_start=summary.record.dose_started_at or summary.record.session.planned_start,
            released_at=summary.released_at,
            text=summary.text,
        )
        for summary in TherapistSummary.objects.filter(
            patient_id=patient.pk, released_at__isnull=False
        )
        .select_related("record__session")
        .only("text", "released_at", "record__dose_started_at", "record__session__planned_start")
        .order_by("-released_at", "-id")
    ]
    return {"summaries": summaries, "clinic": patient.clinic}


def register() -> None:
    shared.register(
        shared.SharedSection(
            key=Scope.SESSION_SUMMARIES.value,
            template=TEMPLATE,
            context=shared_summaries,
            order=25,
        )
    )
