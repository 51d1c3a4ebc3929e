"""API: the screening instruments, and completing them for a patient.

The same policy, access helper, scoring and service as the web pages: a patient's own
token completes their own questionnaire as in the portal, a staff token enters one on a
patient's behalf, and either way `services.record_assessment` scores, stores, raises any
safety alert and logs it in one transaction.
"""

from django.http import Http404, HttpRequest
from ninja import Query, Router
from ninja.errors import HttpError

from kapcare import policy
from kapcare.api_pages import page_of
from kapcare.api_schemas import PageQuery
from kapcare.audit.log import Actor
from kapcare.measures import services
from kapcare.measures.instruments import INSTRUMENTS, Instrument
from kapcare.measures.models import Assessment, AssessmentStatus, Source
from kapcare.measures.schemas import (
    AssessmentCompleted,
    AssessmentIn,
    AssessmentPage,
    InstrumentId,
    InstrumentOut,
)
from kapcare.measures.scoring import AnswerError
from kapcare.patients.access import get_patient
from kapcare.policy import Action

router = Router()


class AssessmentQuery(PageQuery):
    instrument: InstrumentId | None = None


# How refused answers are described in the API's documentation.
REFUSED = {422: {"description": "Not valid; `detail` names the item or the known instruments."}}


def check_instrument(instrument_id: str) -> None:
    if instrument_id not in INSTRUMENTS:
        known = ", ".join(sorted(INSTRUMENTS))
        raise HttpError(422, f"Unknown instrument {instrument_id!r}; expected one of {known}.")


def entry_for(user) -> tuple[Action, Source]:
    """A patient answers their own questionnaire, as in the portal; staff enter one on a
    patient's behalf. Any other role is refused by the second action's policy."""
    if policy.can(user, Action.COMPLETE_OWN_QUESTIONNAIRE):
        return Action.COMPLETE_OWN_QUESTIONNAIRE, Source.PORTAL
    return Action.ENTER_ASSESSMENT_FOR_PATIENT, Source.STAFF


@router.get(
    "/instruments",
    response=list[InstrumentOut],
    tags=["instruments"],
    summary="The screening instruments",
)
def list_instruments(request: HttpRequest) -> list[Instrument]:
    """PHQ-9, GAD-7, PCL-5 and the C-SSRS screener, as published: items, answer options,
    severity bands and LOINC codes."""
    return list(INSTRUMENTS.values())


@router.get(
    "/instruments/{instrument_id}",
    response=InstrumentOut,
    tags=["instruments"],
    summary="One screening instrument",
)
def read_instrument(request: HttpRequest, instrument_id: InstrumentId) -> Instrument:
    instrument = INSTRUMENTS.get(instrument_id)
    if instrument is None:
        raise Http404("No such instrument.")
    return instrument


@router.post(
    "/patients/{patient_id}/assessments",
    response={201: AssessmentCompleted},
    tags=["assessments"],
    summary="Record a completed questionnaire",
    openapi_extra={"responses": REFUSED},
)
def create_assessment(request: HttpRequest, patient_id: str, payload: AssessmentIn) -> dict:
    """Scores the answers and stores them. A PHQ-9 item 9 above 0 or a high-risk C-SSRS
    screen raises a safety alert for the clinical team (`alert_id`). Answers that cannot
    be scored are refused with 422 and a message naming the item."""
    action, source = entry_for(request.user)
    patient = get_patient(request, patient_id, action, log_as=None)
    check_instrument(payload.instrument)
    try:
        completion = services.record_assessment(
            actor=Actor.from_request(request),
            patient=patient,
            instrument=payload.instrument,
            answers=payload.answers,
            source=source,
        )
    except (AnswerError, services.AssessmentError) as error:
        raise HttpError(422, str(error)) from error
    assessment = completion.assessment
    first_alert = completion.alerts[0] if completion.alerts else None
    return {
        "id": assessment.external_id,
        "instrument": assessment.instrument,
        "total": assessment.total,
        "band": assessment.band,
        "flags": assessment.flags,
        "completed_at": assessment.completed_at,
        "source": assessment.source,
        "alert_id": first_alert.external_id if first_alert else None,
    }


@router.get(
    "/patients/{patient_id}/assessments",
    response=AssessmentPage,
    tags=["assessments"],
    summary="A patient's completed questionnaires",
    openapi_extra={"responses": REFUSED},
)
def list_assessments(request: HttpRequest, patient_id: str, query: Query[AssessmentQuery]) -> dict:
    """Newest first, optionally of one instrument. The read is written to the access log."""
    patient = get_patient(request, patient_id, Action.VIEW_ASSESSMENTS)
    assessments = Assessment.objects.filter(patient=patient, status=AssessmentStatus.COMPLETED)
    if query.instrument is not None:
        check_instrument(query.instrument)
        assessments = assessments.filter(instrument=query.instrument)
    shown, next_page = page_of(request, assessments, ("-completed_at", "-pk"), query)
    if not policy.can(request.user, Action.VIEW_PATIENT_SAFETY_ALERTS, patient):
        # Item-level flags (item 9 above 0…) are safety information: a therapist sees them
        # only with the safety_alerts scope, as on the shared record page. In memory only.
        for assessment in shown:
            assessment.flags = []
    return {"items": shown, "next": next_page}
