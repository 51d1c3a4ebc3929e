"""`POST /fhir/r4/`: a referring system sends a FHIR R4 `transaction` Bundle.

Authenticated with the same bearer tokens as the JSON API (`kapcare.api.BearerToken`), no
cookies, so no CSRF token is needed (a browser never sends an Authorization header on its
own). Every answer is FHIR JSON: the transaction-response, or an OperationOutcome with the
status (400 unreadable, 401 no token, 403 a role that may not import, 405, 413, 415, 422 a
bundle naming the entry at fault).
"""

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from kapcare import policy
from kapcare.api import BearerToken
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.policy import Action
from kapcare.referrals import services
from kapcare.referrals.bundle import BundleError, Problem
from kapcare.referrals.response import problems_outcome

FHIR_JSON = "application/fhir+json"
ACCEPTED_TYPES = frozenset({"application/fhir+json", "application/json"})


def fhir_response(content: dict, status: int = 200, **headers) -> HttpResponse:
    answer = HttpResponse(
        json.dumps(content), status=status, content_type=f"{FHIR_JSON}; charset=utf-8"
    )
    for name, value in headers.items():
        answer[name.replace("_", "-")] = value
    return answer


def refused(status: int, expression: str, message: str, code: str, **headers) -> HttpResponse:
    return fhir_response(
        problems_outcome([Problem(expression, message)], code=code), status, **headers
    )


@csrf_exempt
def transaction(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return refused(
            405, "Bundle", "Send a transaction Bundle with POST.", "not-supported", Allow="POST"
        )
    user = BearerToken()(request)
    if user is None:
        return refused(
            401,
            "Bundle",
            "Send a valid API token: Authorization: Bearer <token>.",
            "login",
            WWW_Authenticate="Bearer",
        )
    actor = Actor.from_request(request)
    if not policy.can(user, Action.IMPORT_REFERRAL) or user.clinic_id is None:
        record_access(actor, AccessAction.REFUSED, clinic_id=user.clinic_id, path=request.path)
        return refused(403, "Bundle", "Your role does not import referrals.", "forbidden")
    content_type = request.content_type or ""
    if content_type not in ACCEPTED_TYPES:
        return refused(
            415, "Bundle", f"Send the bundle as {FHIR_JSON} (got {content_type!r}).", "invalid"
        )
    try:
        body = request.body
    except RequestDataTooBig:
        return refused(413, "Bundle", "The bundle is larger than kapcare takes.", "too-costly")
    try:
        imported = services.import_referral(actor=actor, clinic=user.clinic, body=body)
    except BundleError as error:
        return fhir_response(problems_outcome(error.problems), error.status)
    return fhir_response(imported.referral.response)
