"""Condition: the diagnosis an episode of care treats, coded in ICD-10-CM
(docs/clinical-reference.md#icd-10-cm). Its id is the episode's."""

from kapcare import policy
from kapcare.episodes import rules
from kapcare.episodes.models import Episode
from kapcare.fhir import codes
from kapcare.fhir.resources.base import Source, coding, instant, patient_reference, without_empty
from kapcare.fhir.resources.episode_of_care import RELATED


def to_fhir(episode: Episode) -> dict:
    closed = episode.state in rules.CLOSED_STATES
    clinical_status = "inactive" if closed else "active"
    return without_empty(
        {
            "clinicalStatus": {
                "coding": [coding(codes.CONDITION_CLINICAL, clinical_status)],
            },
            "category": [
                {
                    "coding": [
                        coding(
                            codes.CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis"
                        )
                    ]
                }
            ],
            "code": {
                "coding": [coding(codes.ICD_10_CM, episode.diagnosis_code, episode.diagnosis_text)],
                "text": episode.diagnosis_text or episode.diagnosis_code,
            },
            "subject": patient_reference(episode.patient),
            "recordedDate": instant(episode.created_at),
        }
    )


SOURCE = Source(
    resource_type="Condition",
    model=Episode,
    actions=(policy.Action.VIEW_EPISODES,),
    to_fhir_data=to_fhir,
    related=RELATED,
)
