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


def outcome(status: int, code: str, diagnostics: str, expression: str = "") -> HttpResponse:
    """An OperationOutcome with one error issue: `code` from FHIR's issue-type value set
    (`login`, `not-found`, `invalid`, `not-supported`, `exception`…)."""
    issue = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    response = fhir_response({"resourceType": "OperationOutcome", "issue": [issue]}, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="kapcare"'
    return response
