"""QuestionnaireResponse: a patient's answers to one instrument, as given (an unanswered
item is left out), in progress or completed."""

from django.db.models.functions import Coalesce

from kapcare import policy
from kapcare.fhir.resources.base import (
    Source,
    instant,
    patient_reference,
    practitioner_reference,
    without_empty,
)
from kapcare.fhir.resources.questionnaire import url
from kapcare.measures.instruments import INSTRUMENTS, YES_NO
from kapcare.measures.models import Assessment, AssessmentStatus
from kapcare.measures.models import Source as AnswerSource


def answer(instrument, value) -> dict:
    labels = {option.value: option.label for option in instrument.options}
    if instrument.kind == YES_NO:
        return {"valueCoding": {"code": "Y" if value else "N", "display": labels.get(value, "")}}
    return {"valueCoding": {"code": str(value), "display": labels.get(value, str(value))}}


def items(assessment: Assessment) -> list[dict]:
    instrument = INSTRUMENTS[assessment.instrument]
    answered = []
    for item, value in zip(instrument.items, assessment.answers, strict=False):
        if value is None:
            continue
        answered.append(
            {"linkId": item.label, "text": item.text, "answer": [answer(instrument, value)]}
        )
    return answered


def to_fhir(assessment: Assessment) -> dict:
    completed = assessment.status == AssessmentStatus.COMPLETED
    by_staff = assessment.source == AnswerSource.STAFF and assessment.entered_by is not None
    return without_empty(
        {
            "questionnaire": url(assessment.instrument),
            "status": "completed" if completed else "in-progress",
            "subject": patient_reference(assessment.patient),
            "authored": instant(assessment.completed_at or assessment.started_at),
            "author": (
                practitioner_reference(assessment.entered_by)
                if by_staff
                else patient_reference(assessment.patient)
            ),
            "source": patient_reference(assessment.patient),
            "item": items(assessment),
        }
    )


SOURCE = Source(
    resource_type="QuestionnaireResponse",
    model=Assessment,
    actions=(policy.Action.VIEW_ASSESSMENTS,),
    to_fhir_data=to_fhir,
    last_updated=Coalesce("completed_at", "started_at"),
    related=("patient", "entered_by"),
)
