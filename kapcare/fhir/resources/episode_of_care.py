"""EpisodeOfCare: a course of care (an `Episode`), its diagnosis as a Condition."""

from kapcare import policy
from kapcare.episodes import rules
from kapcare.episodes.models import CareModel, Episode
from kapcare.fhir.resources.base import (
    Source,
    instant,
    patient_reference,
    practitioner_reference,
    reference,
    without_empty,
)

# An episode's state as an EpisodeOfCare status (hl7.org/fhir/R4/valueset-episode-of-care-
# status.html): before treatment starts it is planned; a course stopped before it began
# (not eligible) was cancelled; one stopped during treatment is finished.
STATUS = {
    rules.REFERRED: "planned",
    rules.SCREENING: "planned",
    rules.ELIGIBLE: "planned",
    rules.CONSENTED: "planned",
    rules.PREPARING: "active",
    rules.IN_TREATMENT: "active",
    rules.FOLLOW_UP: "active",
    rules.COMPLETED: "finished",
    rules.DISCONTINUED: "finished",
    rules.INELIGIBLE: "cancelled",
}

RELATED = ("patient__clinic", "treating_clinician")


def period(episode: Episode) -> dict:
    closed = episode.state in rules.CLOSED_STATES
    return without_empty(
        {
            "start": instant(episode.created_at),
            "end": instant(episode.state_changed_at) if closed else None,
        }
    )


def to_fhir(episode: Episode) -> dict:
    return without_empty(
        {
            "status": STATUS[episode.state],
            "type": [{"text": CareModel(episode.model).label}],
            "diagnosis": [{"condition": reference("Condition", episode.external_id)}],
            "patient": patient_reference(episode.patient),
            "managingOrganization": reference("Organization", episode.patient.clinic.external_id),
            "period": period(episode),
            "careManager": practitioner_reference(episode.treating_clinician),
        }
    )


SOURCE = Source(
    resource_type="EpisodeOfCare",
    model=Episode,
    actions=(policy.Action.VIEW_EPISODES,),
    to_fhir_data=to_fhir,
    related=RELATED,
)
