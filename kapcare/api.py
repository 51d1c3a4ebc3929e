"""The JSON API at /api/v1/ (django-ninja): the API instance, bearer-token auth and errors
as JSON. Routers live in each app's api.py and are added at the bottom.

Only bearer tokens are accepted, for reads and writes alike: a browser never sends an
Authorization header on its own, so the API needs no CSRF protection and a signed-in
session cannot be used from another site. Every error is JSON with a `detail` message;
invalid input adds `errors`, a list of messages per field, as the web forms show them.
"""

import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.security import HttpBearer

from kapcare.accounts.api import router as accounts_router
from kapcare.accounts.models import ApiToken, User, hash_token
from kapcare.consents.api import router as consents_router
from kapcare.developer_tools import admins_only_in_production
from kapcare.dosing.api import router as dosing_router
from kapcare.episodes.api import router as episodes_router
from kapcare.episodes.api_gates import router as gates_router
from kapcare.measures.api import router as measures_router
from kapcare.patients.api import router as patients_router
from kapcare.scheduling.api import router as scheduling_router

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


api = NinjaAPI(
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
    return str(error.get("msg", "This value is not valid."))


api.add_router("/", accounts_router)
api.add_router("/", patients_router)
api.add_router("/", measures_router)
api.add_router("/", consents_router)
api.add_router("/", episodes_router)
api.add_router("/", gates_router)
api.add_router("/", scheduling_router)
api.add_router("/", dosing_router)
api.add_router("/", "kapcare.therapists.api.router")  # therapists directory
api.add_router("/", "kapcare.episodes.api_therapy.router")  # therapist portal
