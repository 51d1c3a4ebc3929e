"""FHIR's answers: resources as `application/fhir+json`, errors as OperationOutcome
(hl7.org/fhir/R4/http.html, hl7.org/fhir/R4/operationoutcome.html)."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
# What `_format` may ask for: FHIR's short name and the JSON media types.
JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})


def fhir_response(resource: dict, status: int = 200) -> HttpResponse:
    body = json.dumps(resource, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body, status=status, content_type=CONTENT_TYPE)


def issue(severity: str, code: str, diagnostics: str, expression: str = "") -> dict:
    """One OperationOutcome issue: `severity` (`error`, `warning`, `information`), `code`
    from FHIR's issue-type value set (`login`, `not-found`, `invalid`, `informational`…),
    and the FHIRPath `expression` it is about, when there is one."""
    found = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        found["expression"] = [expression]
    return found


def operation_outcome(*issues: dict) -> dict:
    """The OperationOutcome resource of `issues` (each built by `issue`): every answer
    kapcare gives as an OperationOutcome, the FHIR base's and the referral import's, is
    built here."""
    return {"resourceType": "OperationOutcome", "issue": list(issues)}


def outcome(status: int, code: str, diagnostics: str, expression: str = "") -> HttpResponse:
    """An OperationOutcome response with one error issue."""
    found = issue("error", code, diagnostics, expression)
    response = fhir_response(operation_outcome(found), status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="kapcare"'
    return response
