"""Encounter: a session of an episode of care (preparation, dosing, integration), planned
or held."""

from django.db.models.functions import Coalesce

from kapcare import policy
from kapcare.episodes import rules
from kapcare.episodes.models import CareSession, SessionKind
from kapcare.fhir import codes
from kapcare.fhir.resources.base import (
    Source,
    coding,
    instant,
    patient_reference,
    practitioner_reference,
    reference,
    without_empty,
)

# A session's status as an Encounter status (hl7.org/fhir/R4/valueset-encounter-status.html):
# a missed session did not take place, as a cancelled one.
STATUS = {
    rules.PLANNED: "planned",
    rules.IN_PROGRESS: "in-progress",
    rules.DONE: "finished",
    rules.MISSED: "cancelled",
    rules.CANCELLED: "cancelled",
}
# Every session is an outpatient visit: HL7 v3 ActCode AMB, "ambulatory".
AMBULATORY = coding(codes.V3_ACT_CODE, "AMB", "ambulatory")


def to_fhir(session: CareSession) -> dict:
    participants = []
    if session.run_by is not None:
        participants.append({"individual": practitioner_reference(session.run_by)})
    held = session.status in (rules.IN_PROGRESS, rules.DONE)
    start = session.started_at if held and session.started_at else session.planned_start
    return without_empty(
        {
            "status": STATUS[session.status],
            "class": AMBULATORY,
            "type": [{"text": SessionKind(session.kind).label}],
            "subject": patient_reference(session.patient),
            "episodeOfCare": [reference("EpisodeOfCare", session.episode.external_id)],
            "participant": participants,
            "appointment": (
                [reference("Appointment", session.appointment.external_id)]
                if session.appointment is not None
                else None
            ),
            "period": without_empty(
                {
                    "start": instant(start),
                    "end": instant(session.planned_end)
                    if session.status != rules.IN_PROGRESS
                    else None,
                }
            ),
        }
    )


SOURCE = Source(
    resource_type="Encounter",
    model=CareSession,
    actions=(policy.Action.VIEW_SCHEDULE,),
    to_fhir_data=to_fhir,
    last_updated=Coalesce("status_changed_at", "started_at", "created_at"),
    related=("patient", "episode", "appointment", "run_by"),
)
