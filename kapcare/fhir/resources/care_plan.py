"""CarePlan: what an episode of care plans, as counts of each kind of session and the
route of the doses. Its id is the episode's."""

from kapcare import policy
from kapcare.episodes import rules
from kapcare.episodes.models import ROUTE_SNOMED, CareModel, DoseRoute, Episode
from kapcare.fhir.resources.base import (
    Source,
    patient_reference,
    practitioner_reference,
    reference,
    without_empty,
)
from kapcare.fhir.resources.episode_of_care import RELATED, period

# An episode's state as a CarePlan status (hl7.org/fhir/R4/valueset-request-status.html).
STATUS = {
    rules.REFERRED: "draft",
    rules.SCREENING: "draft",
    rules.ELIGIBLE: "draft",
    rules.CONSENTED: "active",
    rules.PREPARING: "active",
    rules.IN_TREATMENT: "active",
    rules.FOLLOW_UP: "active",
    rules.COMPLETED: "completed",
    rules.DISCONTINUED: "revoked",
    rules.INELIGIBLE: "revoked",
}


def activity(kind: str, count: int, status: str) -> dict:
    return {
        "detail": {
            "kind": "Appointment",
            "code": {"text": rules.SESSION_KINDS[kind]},
            "status": status,
            "description": f"{count} planned",
        }
    }


def to_fhir(episode: Episode) -> dict:
    closed = episode.state in rules.CLOSED_STATES
    status = "stopped" if closed else "scheduled"
    route = DoseRoute(episode.dose_route)
    activities = []
    if episode.model != rules.STANDALONE and episode.planned_preparation_sessions:
        activities.append(activity(rules.PREPARATION, episode.planned_preparation_sessions, status))
    activities.append(activity(rules.DOSING, episode.planned_doses, status))
    if episode.model != rules.STANDALONE and episode.planned_integration_sessions:
        activities.append(activity(rules.INTEGRATION, episode.planned_integration_sessions, status))
    return without_empty(
        {
            "status": STATUS[episode.state],
            "intent": "plan",
            "title": f"{CareModel(episode.model).label}: {route.label.lower()} route",
            "description": episode.goals,
            "subject": patient_reference(episode.patient),
            "period": period(episode),
            "author": practitioner_reference(episode.treating_clinician),
            "addresses": [reference("Condition", episode.external_id)],
            "activity": activities,
            "note": [
                {"text": f"Route of the doses: {route.label} (SNOMED CT {ROUTE_SNOMED[route]})."}
            ],
        }
    )


SOURCE = Source(
    resource_type="CarePlan",
    model=Episode,
    actions=(policy.Action.VIEW_EPISODES,),
    to_fhir_data=to_fhir,
    related=RELATED,
)
