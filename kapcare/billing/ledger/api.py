"""API: a patient's payments and ledger. The same policy, access helper and services as
the pages: the front desk and the admin record payments, staff and the patient read,
therapists nothing, another clinic 404."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Status

from kapcare.api_pages import page_of
from kapcare.api_schemas import PageQuery
from kapcare.audit.log import Actor
from kapcare.billing.ledger import services
from kapcare.billing.ledger.models import Payment
from kapcare.billing.ledger.schemas import LedgerOut, PaymentIn, PaymentOut, PaymentPage
from kapcare.patients.access import get_patient, log_redisplay
from kapcare.policy import Action
from kapcare.refusals import Refused

router = Router()

REFUSED = {422: {"description": "Not valid; `errors` names each field with its message."}}


@router.get(
    "/patients/{patient_id}/payments",
    response=PaymentPage,
    tags=["billing"],
    summary="A patient's payments and refunds",
)
def list_payments(request: HttpRequest, patient_id: str, query: Query[PageQuery]) -> dict:
    """Oldest first. The read is logged."""
    patient = get_patient(request, patient_id, Action.VIEW_LEDGER)
    rows = Payment.objects.filter(patient_id=patient.pk).select_related("package", "refund_of")
    shown, next_page = page_of(request, rows, ("recorded_at", "id"), query)
    return {"items": shown, "next": next_page}


@router.post(
    "/patients/{patient_id}/payments",
    response={201: PaymentOut},
    tags=["billing"],
    summary="Record a payment (or a deposit)",
    openapi_extra={"responses": REFUSED},
)
def record_payment(request: HttpRequest, patient_id: str, payload: PaymentIn):
    """A payment received: `amount` as a string, `method`, a `reference` for a check or an
    outside processor, `package_id` when it pays for a package, `deposit_session_id` when
    it holds a booked session. 422 at the field when something is wrong."""
    patient = get_patient(request, patient_id, Action.HANDLE_PAYMENTS, log_as=None)
    try:
        payment = services.record_payment(
            actor=Actor.from_request(request),
            patient=patient,
            data=services.PaymentInput(
                amount=payload.amount,
                method=payload.method,
                reference=payload.reference,
                note=payload.note,
                package_id=str(payload.package_id or ""),
                deposit_session_id=str(payload.deposit_session_id or ""),
            ),
        )
    except Refused as refusal:
        log_redisplay(request, patient)
        raise ValidationError(
            {field: [message] for field, message in refusal.problems.items()}
        ) from refusal
    return Status(201, payment)


@router.get(
    "/patients/{patient_id}/ledger",
    response=LedgerOut,
    tags=["billing"],
    summary="A patient's ledger and balance",
)
def ledger(request: HttpRequest, patient_id: str) -> dict:
    """Every line oldest first, each with what it adds to the balance, the balance summed
    from them, and each course's charges beside its estimate. The read is logged."""
    patient = get_patient(request, patient_id, Action.VIEW_LEDGER)
    found = services.ledger_of(patient)
    return {
        "lines": [
            {
                "at": line.at,
                "kind": line.kind,
                "description": line.description,
                "amount": f"{line.amount:.2f}",
                "reference": line.reference,
            }
            for line in found.lines
        ],
        "balance": f"{found.balance:.2f}",
        "courses": [
            {
                "episode_id": course.episode.external_id if course.episode else None,
                "billed": f"{course.billed:.2f}",
                "estimated": None if course.estimated is None else f"{course.estimated:.2f}",
                "over_estimate": course.is_over,
            }
            for course in found.courses
        ],
    }
