"""The JSON API at /api/v1/ (django-ninja): the API instance, bearer-token auth and errors
as JSON. Routers live in each app's api.py and are added at the bottom.

Only bearer tokens are accepted, for reads and writes alike: a browser never sends an
Authorization header on its own, so the API needs no CSRF protection and a signed-in
session cannot be used from another site. Every error is JSON with a `detail` message;
invalid input adds `errors`, a list of messages per field, as the web forms show them.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.security import HttpBearer

from kapcare.accounts.api import router as accounts_router
from kapcare.accounts.models import ApiToken, User, hash_token
from kapcare.api_schemas import ErrorOut
from kapcare.audit.api import router as audit_router
from kapcare.consents.api import router as consents_router
from kapcare.developer_tools import admins_only_in_production
from kapcare.dosing.api import router as dosing_router
from kapcare.episodes.api import router as episodes_router
from kapcare.episodes.gates.api import router as gates_router
from kapcare.measures.api import router as measures_router
from kapcare.patients.api import router as patients_router
from kapcare.scheduling.api import router as scheduling_router
from kapcare.text import SURROGATE_MESSAGE

logger = logging.getLogger(__name__)

# `last_used_at` is shown to the token's owner to the minute; writing it on every request
# would add a write to every read.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# Where the parts of a request are named in ninja's error locations.
REQUEST_PARTS = {"body", "query", "path", "header", "cookie", "form", "file"}


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`, for a live token of an active user."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token:
            return None
        record = (
            ApiToken.objects.live()
            .select_related("user__clinic")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if record is None:
            return None
        now = timezone.now()
        if record.last_used_at is None or now - record.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
        request.user = record.user
        request.is_api = True
        request.api_token = record
        return record.user


# What each error status means, as the OpenAPI document describes it for every operation
# that can answer it (see `KapcareAPI.get_openapi_schema`).
ERROR_DESCRIPTIONS = {
    400: "The body is not JSON.",
    401: "No valid API token.",
    403: "Your role does not allow this.",
    404: "No such record, or not one you may see.",
    409: "Refused by the record's state; `detail` says why.",
    413: "The body is larger than the API takes.",
    422: "Not valid; `errors` names each field with its message.",
}
# Operations every role may call: they never answer 403.
OPEN_TO_EVERY_ROLE = {
    ("get", "/api/v1/me"),
    ("get", "/api/v1/instruments"),
    ("get", "/api/v1/instruments/{instrument_id}"),
}


class KapcareAPI(NinjaAPI):
    """The API whose OpenAPI document lists, for every operation, the errors it may answer,
    each with the one error body (`ErrorOut`) the handlers below write."""

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorOut"] = ErrorOut.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                document_errors(path, method, operation)
        return schema


def error_statuses(path: str, method: str, operation: dict) -> set[int]:
    """The errors an operation may answer, read from what it takes: a token (401, and 403
    unless every role may call it), a record id in the path (404), any input (422), a body
    (400 unreadable, 413 too large); 409 and other 404s are declared by the operation."""
    statuses = {int(code) for code in operation.get("responses", {}) if str(code)[0] == "4"}
    if operation.get("security"):
        statuses.add(401)
        if (method, path) not in OPEN_TO_EVERY_ROLE:
            statuses.add(403)
    parameters = operation.get("parameters", [])
    if any(parameter["in"] == "path" for parameter in parameters):
        statuses.add(404)
    if parameters or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses |= {400, 413}
    return statuses


def document_errors(path: str, method: str, operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    for status in sorted(error_statuses(path, method, operation)):
        given = responses.pop(status, None) or responses.pop(str(status), None) or {}
        responses[status] = {
            "description": given.get("description", ERROR_DESCRIPTIONS[status]),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        }


api = KapcareAPI(
    title="kapcare API",
    version="1",
    urls_namespace="api",
    auth=BearerToken(),
    docs_decorator=admins_only_in_production,
    description=(
        "Send a token from your profile page as `Authorization: Bearer <token>`. "
        'Errors are JSON: `{"detail": "…"}`; invalid input also carries '
        '`"errors": {"field": ["message", …]}`.'
    ),
)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": "Send a valid API token as 'Authorization: Bearer <token>'."},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="kapcare"'
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "Not found."}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    detail = str(exc) or "Your role does not allow this."
    return api.create_response(request, {"detail": detail}, status=403)


@api.exception_handler(DjangoValidationError)
def invalid_record(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return invalid(request, errors)


@api.exception_handler(RequestValidationError)
def invalid_request(request: HttpRequest, exc: RequestValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        field = field_name(error.get("loc", ()))
        errors.setdefault(field, []).append(error_message(error, field))
    return invalid(request, errors)


@api.exception_handler(RequestDataTooBig)
def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A body over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (when an operator sets it below the
    API's own limit, which `api_middleware` enforces before the body is read)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    detail = f"The request body is larger than the server takes ({limit} bytes)."
    return api.create_response(request, {"detail": detail}, status=413)


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
    return api.create_response(
        request,
        {"detail": "Something went wrong on our side; it has been logged."},
        status=500,
    )


def invalid(request: HttpRequest, errors: dict[str, list[str]]) -> HttpResponse:
    count = len(errors.keys() - {"__all__"})
    general = errors.get("__all__", [])
    if count:
        detail = f"Please correct {count} field{'s' if count != 1 else ''}."
    elif len(general) == 1:
        detail = general[0]  # one problem with the whole request: say it at the top
    else:
        detail = "The request is not valid."
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


def field_name(loc) -> str:
    """The field an error is about: ninja's ("body", "payload", "email") → "email".

    The request part and the view's parameter name are dropped; an error on the whole
    body (no field) is "__all__", as Django names errors that belong to no field.
    """
    parts = [str(part) for part in loc]
    if parts and parts[0] in REQUEST_PARTS:
        source, parts = parts[0], parts[1:]
        if source in {"body", "form"}:
            parts = parts[1:]
    return ".".join(parts) or "__all__"


def error_message(error: dict, field: str) -> str:
    if field == "__all__" and error.get("loc", ("",))[0] == "body":
        return "Send the fields as one JSON object."
    if error.get("type") == "extra_forbidden":
        return "This field is not known."
    if error.get("type") == "missing":
        return "This field is required."
    if error.get("type") == "string_unicode":
        # pydantic's own refusal of a lone surrogate, worded as `kapcare.text` words it.
        return SURROGATE_MESSAGE
    if error.get("type") == "string_too_long":
        # As Django's forms say it, so the page and the API give the same message.
        return f"Ensure this value has at most {error['ctx']['max_length']} characters."
    return str(error.get("msg", "This value is not valid."))


api.add_router("/", accounts_router)
api.add_router("/", patients_router)
api.add_router("/", measures_router)
api.add_router("/", consents_router)
api.add_router("/", episodes_router)
api.add_router("/", gates_router)
api.add_router("/", "kapcare.conformance.api.router")
api.add_router("/", scheduling_router)
api.add_router("/", "kapcare.scheduling.session_api.router")  # reschedule, cancel, no-show
api.add_router("/", dosing_router)
api.add_router("/", "kapcare.dosing.esketamine.api.router")  # the clinic's drugs
api.add_router("/", "kapcare.dosing.substances.inventory.api.router")  # DEA records
api.add_router("/", audit_router)
api.add_router("/", "kapcare.therapists.api.router")  # therapists directory
api.add_router("/", "kapcare.episodes.api_therapy.router")  # therapist portal
api.add_router("/", "kapcare.episodes.check_in.api.router")  # checking patients in
api.add_router("/", "kapcare.outcomes.api.router")  # the clinic's outcome figures
api.add_router("/", "kapcare.billing.api.router")  # Good Faith Estimates
api.add_router("/", "kapcare.billing.ledger.api.router")  # payments and the ledger
