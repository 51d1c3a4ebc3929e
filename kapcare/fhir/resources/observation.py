"""Observation, from two tables: vital signs taken during a dosing session (FHIR R4
vital-signs profile, LOINC; docs/clinical-reference.md#loinc) and the totals of completed
questionnaires (category survey, LOINC of the instrument's total). Vital signs belong to
the dosing record: clinic staff only, as on the pages (no therapist's session summary
shows them; docs/clinical-reference.md#session-summary-for-the-therapist). Sedation
scores, which have no confirmed LOINC code, are not served."""

from django.db.models import F, Q

from kapcare import policy
from kapcare.dosing.models import Observation as VitalSign
from kapcare.dosing.vitals.rules import VITALS
from kapcare.fhir import codes
from kapcare.fhir.resources.base import (
    EXCLUDED,
    Source,
    coding,
    concept,
    instant,
    patient_reference,
    reference,
    without_empty,
)
from kapcare.fhir.search import codes_filter, date_filter, token_codes
from kapcare.measures.instruments import INSTRUMENTS
from kapcare.measures.models import Assessment, AssessmentStatus

VITAL_SIGNS = "vital-signs"
SURVEY = "survey"
CATEGORY_NAMES = {VITAL_SIGNS: "Vital Signs", SURVEY: "Survey"}


def category(code: str) -> list[dict]:
    return [{"coding": [coding(codes.OBSERVATION_CATEGORY, code, CATEGORY_NAMES[code])]}]


def vital_to_fhir(reading: VitalSign) -> dict:
    vital = VITALS.get(reading.vital)
    name = vital.name if vital else reading.vital
    return without_empty(
        {
            "meta": {"profile": [codes.VITAL_SIGNS_PROFILE]},
            "status": "final",
            "category": category(VITAL_SIGNS),
            "code": concept(codes.LOINC, reading.loinc_code, name),
            "subject": patient_reference(reading.patient),
            "encounter": reference("Encounter", reading.record.session.external_id),
            "effectiveDateTime": instant(reading.taken_at),
            "valueQuantity": {
                "value": reading.value,
                "unit": reading.unit,
                "system": codes.UCUM,
                "code": codes.UCUM_UNITS.get(reading.unit, reading.unit),
            },
        }
    )


def survey_to_fhir(assessment: Assessment) -> dict:
    instrument = INSTRUMENTS[assessment.instrument]
    total_name = f"{instrument.short_name} total"
    value = (
        {"valueInteger": assessment.total}
        if assessment.total is not None
        else {"valueString": assessment.band or "not scored"}
    )
    return without_empty(
        {
            "status": "final",
            "category": category(SURVEY),
            "code": concept(codes.LOINC, instrument.loinc_total, total_name),
            "subject": patient_reference(assessment.patient),
            "effectiveDateTime": instant(assessment.completed_at),
            **value,
            "interpretation": (
                [{"text": assessment.band}]
                if assessment.band and assessment.total is not None
                else None
            ),
            "derivedFrom": [reference("QuestionnaireResponse", assessment.external_id)],
        }
    )


def category_filter(own: str):
    def match(values: list[str]) -> Q:
        for wanted in token_codes(values, codes.OBSERVATION_CATEGORY):
            if own not in wanted:
                return EXCLUDED
        return Q()

    return match


def survey_codes(values: list[str]) -> Q:
    wanted = Q()
    for found in token_codes(values, codes.LOINC):
        instruments = [
            i.id for i in INSTRUMENTS.values() if i.loinc_total and i.loinc_total in found
        ]
        wanted &= Q(instrument__in=instruments) if instruments else EXCLUDED
    return wanted


VITAL_SIGNS_SOURCE = Source(
    resource_type="Observation",
    model=VitalSign,
    actions=(policy.Action.VIEW_DOSING_RECORD,),
    to_fhir_data=vital_to_fhir,
    last_updated=F("entered_at"),
    related=("patient", "record__session"),
    base=~Q(loinc_code=""),
    search={
        "category": category_filter(VITAL_SIGNS),
        "code": lambda values: codes_filter("loinc_code", values, codes.LOINC),
        "date": lambda values: date_filter("taken_at", values),
    },
)

SURVEY_SOURCE = Source(
    resource_type="Observation",
    model=Assessment,
    actions=(policy.Action.VIEW_ASSESSMENTS,),
    to_fhir_data=survey_to_fhir,
    last_updated=F("completed_at"),
    related=("patient",),
    base=Q(status=AssessmentStatus.COMPLETED),
    search={
        "category": category_filter(SURVEY),
        "code": survey_codes,
        "date": lambda values: date_filter("completed_at", values),
    },
)
