"""The FHIR resource types kapcare serves, each read from one or more tables (`Source`),
and the instruments as Questionnaires. A FHIR read, a search, `Patient/$everything` and a
bulk export all take their rows and their JSON from here:

    for source in SOURCES["Observation"]:
        rows = source.rows(user, since=since, patient=patient)  # what user may see
        resources = [source.to_fhir(row) for row in rows]
"""

from kapcare.fhir.resources import (
    appointment,
    care_plan,
    condition,
    consent,
    encounter,
    episode_of_care,
    medication_administration,
    observation,
    organization,
    patient,
    practitioner,
    questionnaire,
    questionnaire_response,
)
from kapcare.fhir.resources.base import BadSearch, Source

# Each type served from tables, with its sources, in the order `$everything` lists them.
SOURCES: dict[str, tuple[Source, ...]] = {
    "Patient": (patient.SOURCE,),
    "Practitioner": (practitioner.SOURCE,),
    "Organization": (organization.SOURCE,),
    "EpisodeOfCare": (episode_of_care.SOURCE,),
    "Condition": (condition.SOURCE,),
    "CarePlan": (care_plan.SOURCE,),
    "Consent": (consent.SOURCE,),
    "Appointment": (appointment.SOURCE,),
    "Encounter": (encounter.SOURCE,),
    "MedicationAdministration": (medication_administration.SOURCE,),
    "Observation": (observation.VITAL_SIGNS_SOURCE, observation.SURVEY_SOURCE),
    "QuestionnaireResponse": (questionnaire_response.SOURCE,),
}
# Types not stored in a table: the same resources for every caller.
STATIC_TYPES = {"Questionnaire": questionnaire}
RESOURCE_TYPES = (*SOURCES, *STATIC_TYPES)
# The sources of what is about one patient (`Patient/$everything`, a patient-level export).
PATIENT_SOURCES: tuple[Source, ...] = tuple(
    source for sources in SOURCES.values() for source in sources if source.is_patient_data
)

__all__ = ["PATIENT_SOURCES", "RESOURCE_TYPES", "SOURCES", "STATIC_TYPES", "BadSearch", "Source"]
