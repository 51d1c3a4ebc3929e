"""API: a patient's Good Faith Estimates. The same policy, access helpers and service as
the pages: coordinators and admins issue, staff and the patient read, therapists nothing."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from kapcare.api_pages import page_of
from kapcare.api_schemas import PageQuery
from kapcare.audit.log import Actor
from kapcare.billing import services
from kapcare.billing.access import get_estimate
from kapcare.billing.models import GoodFaithEstimate
from kapcare.billing.pdf import estimate_pdf, filename
from kapcare.billing.schemas import EstimateIn, EstimateOut, EstimatePage
from kapcare.episodes import rules as episode_rules
from kapcare.episodes.models import Episode
from kapcare.patients.access import get_patient, log_redisplay
from kapcare.policy import Action

router = Router()

REFUSED = {422: {"description": "Not valid; `errors` names each field with its message."}}


@router.get(
    "/patients/{patient_id}/estimates",
    response=EstimatePage,
    tags=["billing"],
    summary="A patient's Good Faith Estimates",
    openapi_extra={"responses": REFUSED},
)
def list_estimates(request: HttpRequest, patient_id: str, query: Query[PageQuery]) -> dict:
    """Newest first, every version as issued. The read is logged."""
    patient = get_patient(request, patient_id, Action.VIEW_ESTIMATES)
    rows = GoodFaithEstimate.objects.filter(patient_id=patient.pk).select_related("episode")
    shown, next_page = page_of(request, rows, ("-issued_at", "-id"), query)
    return {"items": shown, "next": next_page}


@router.post(
    "/patients/{patient_id}/estimates",
    response={201: EstimateOut},
    tags=["billing"],
    summary="Issue a Good Faith Estimate on request",
    openapi_extra={"responses": REFUSED},
)
def issue_estimate(request: HttpRequest, patient_id: str, payload: EstimateIn):
    """Issues an estimate of the episode's course now (the patient asked): a new version,
    the earlier ones kept. 422 when the episode is not the patient's open course."""
    patient = get_patient(request, patient_id, Action.ISSUE_ESTIMATE, log_as=None)
    episode = (
        Episode.objects.filter(patient_id=patient.pk, external_id=payload.episode_id)
        .exclude(state__in=episode_rules.CLOSED_STATES)
        .first()
    )
    if episode is None:
        log_redisplay(request, patient)
        raise ValidationError({"episode_id": ["Not an open course of this patient."]})
    estimate = services.issue_estimate(
        actor=Actor.from_request(request),
        episode=episode,
        reason="Requested by the patient",
        requested=True,
    )
    return Status(201, estimate)


@router.get(
    "/estimates/{estimate_id}/pdf",
    url_name="estimate_pdf",
    tags=["billing"],
    summary="A Good Faith Estimate as PDF",
    openapi_extra={
        "responses": {
            200: {
                "description": "The PDF.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_estimate(request: HttpRequest, estimate_id: str) -> HttpResponse:
    """The estimate as issued, for staff of its clinic and the patient. The read is logged."""
    estimate = get_estimate(request, estimate_id)
    response = HttpResponse(estimate_pdf(estimate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename(estimate)}"'
    return response
