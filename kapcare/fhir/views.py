"""The FHIR R4 interface at /fhir/r4/: `metadata`, read, search and
`Patient/{id}/$everything`, JSON only.

Authenticated by the JSON API's bearer tokens (kapcare.api.BearerToken), never by a
session, so no page of another site can read through a signed-in browser. What a caller
sees is what the policy module lets them see (each `Source.rows`); a record out of their
reach is "not found", as on every page, and the attempt is in the access log. Every
resource about a patient that is read or listed is in the access log, a page in one
insert.
"""

import logging
import uuid
from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from kapcare.api import BearerToken
from kapcare.audit.log import Actor, record_records_access
from kapcare.audit.models import AccessAction
from kapcare.fhir import bundles, capability
from kapcare.fhir.resources import PATIENT_SOURCES, SOURCES, STATIC_TYPES, BadSearch, Source
from kapcare.fhir.resources.base import EXCLUDED, accessed, checked
from kapcare.fhir.resources.patient import SOURCE as PATIENT
from kapcare.fhir.responses import JSON_FORMATS, fhir_response, outcome
from kapcare.fhir.search import date_filter, external_ids, parse_instant
from kapcare.patients.access import refused

logger = logging.getLogger(__name__)

DEFAULT_COUNT = 50
# The largest page: a whole 500-resource record in one answer, and no more.
MAX_COUNT = 500
# Parameters every search takes; `patient`/`subject` only on a type about patients.
COMMON_PARAMETERS = frozenset({"_id", "_lastUpdated", "_count", "_format", bundles.CURSOR})
PATIENT_PARAMETERS = frozenset({"patient", "subject"})
# The instruments are the same few for everyone, all on one page.
STATIC_PARAMETERS = frozenset({"_id", "_count", "_format"})
EVERYTHING_PARAMETERS = frozenset({"_count", "_since", "_type", "_format", bundles.CURSOR})
NO_TOKEN = "Send a valid API token as 'Authorization: Bearer <token>'."


def fhir_endpoint(view: Callable, methods: tuple[str, ...] = ("GET",)) -> Callable:
    """Bearer token in, FHIR JSON out: 401 without a live token, 400 for a search kapcare
    cannot read, 404 for what the caller may not see, 406 for a format other than JSON,
    and an OperationOutcome (logged) instead of a 500 page. GET only, unless `methods`
    says otherwise (a bulk export's status is also cancelled with DELETE)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in {*methods, "HEAD"}:
            return not_allowed(request, methods)
        user = BearerToken()(request)
        if user is None:
            return outcome(401, "login", NO_TOKEN)
        wanted = request.GET.get("_format")
        if wanted is not None and wanted not in JSON_FORMATS:
            return outcome(406, "not-supported", "This server speaks FHIR JSON only.", "_format")
        try:
            return view(request, *args, **kwargs)
        except BadSearch as error:
            return outcome(400, "invalid", str(error))
        except Http404 as error:
            return outcome(404, "not-found", str(error) or "No such resource.")
        except Exception:
            logger.exception("FHIR error on %s", request.path)
            return outcome(
                500, "exception", "Something went wrong on our side; it has been logged."
            )

    # Nothing here writes, and a write is answered 405 as FHIR clients expect, not with
    # the CSRF check's page: the interface takes bearer tokens only, never a session.
    return csrf_exempt(wrapper)


def not_allowed(request: HttpRequest, methods: tuple[str, ...] = ("GET",)) -> HttpResponse:
    allowed = ", ".join((*methods, "HEAD"))
    response = outcome(405, "not-supported", f"This address takes {allowed}, not {request.method}.")
    response["Allow"] = allowed
    return response


@csrf_exempt
def metadata(request: HttpRequest) -> HttpResponse:
    """The CapabilityStatement: open to all, as FHIR clients read it before they sign in;
    it names no one."""
    if request.method not in {"GET", "HEAD"}:
        return not_allowed(request)
    return fhir_response(capability.capability_statement(request))


@fhir_endpoint
def read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    if resource_type in STATIC_TYPES:
        return read_static(resource_type, resource_id)
    sources = sources_of(resource_type)
    try:
        external_id = uuid.UUID(resource_id)
    except ValueError as error:
        raise Http404(f"No {resource_type} {resource_id}.") from error
    for source in sources:
        row = source.rows(request.user).filter(external_id=external_id).first()
        if row is not None:
            log(request, AccessAction.VIEW, [(source, row)])
            return fhir_response(checked(source.to_fhir(row)))
    for source in sources:
        if source.is_patient_data:
            existing = source.model.objects.filter(source.base)
            refused(request, existing, external_id, Http404())
    raise Http404(f"No {resource_type} {resource_id}.")


def read_static(resource_type: str, resource_id: str) -> HttpResponse:
    module = STATIC_TYPES[resource_type]
    instrument = module.find(resource_id)
    if instrument is None:
        raise Http404(f"No {resource_type} {resource_id}.")
    return fhir_response(checked(module.to_fhir(instrument)))


@fhir_endpoint
def search(request: HttpRequest, resource_type: str) -> HttpResponse:
    if resource_type in STATIC_TYPES:
        return search_static(request, resource_type)
    sources = sources_of(resource_type)
    count = page_size(request)
    for name in PATIENT_PARAMETERS & set(request.GET):
        for value in request.GET.getlist(name):
            for patient_id in value.split(","):
                visible_patient(request, patient_id.strip().removeprefix("Patient/"))
    tables = [(source, filtered(request, source)) for source in sources]
    tables = [(source, rows) for source, rows in tables if rows is not None]
    page = bundles.page_of(request, tables, count)
    log(request, AccessAction.LIST, page.rows)
    resources = [source.to_fhir(row) for source, row in page.rows]
    return fhir_response(bundles.searchset(request, resources, page.next_cursor))


def search_static(request: HttpRequest, resource_type: str) -> HttpResponse:
    module = STATIC_TYPES[resource_type]
    unknown = set(request.GET) - STATIC_PARAMETERS
    if unknown:
        raise BadSearch(unknown_message(resource_type, unknown))
    instruments = module.all_instruments()
    if "_id" in request.GET:
        wanted = set(request.GET["_id"].split(","))
        instruments = [i for i in instruments if module.fhir_id(i.id) in wanted]
    resources = [module.to_fhir(instrument) for instrument in instruments]
    return fhir_response(bundles.searchset(request, resources, None))


@fhir_endpoint
def everything(request: HttpRequest, patient_id: str) -> HttpResponse:
    """`Patient/{id}/$everything` (hl7.org/fhir/R4/patient-operation-everything.html):
    every resource about the patient that the caller may see, a page at a time."""
    unknown = set(request.GET) - EVERYTHING_PARAMETERS
    if unknown:
        raise BadSearch(unknown_message("Patient/$everything", unknown))
    patient = visible_patient(request, patient_id)
    since = None
    if "_since" in request.GET:
        since = parse_instant(request.GET["_since"], "_since")
    types = None
    if "_type" in request.GET:
        types = set(request.GET["_type"].split(","))
        unknown_types = types - set(SOURCES)
        if unknown_types:
            raise BadSearch(f"_type: unknown resource type {', '.join(sorted(unknown_types))}.")
    tables = [
        (source, source.rows(request.user, since=since, patient=patient))
        for source in PATIENT_SOURCES
        if types is None or source.resource_type in types
    ]
    page = bundles.page_of(request, tables, page_size(request))
    log(request, AccessAction.EXPORT, page.rows)
    resources = [source.to_fhir(row) for source, row in page.rows]
    return fhir_response(bundles.searchset(request, resources, page.next_cursor))


@csrf_exempt
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    return outcome(404, "not-found", "This server has no such address; see /fhir/r4/metadata.")


# --- Helpers ---


def sources_of(resource_type: str) -> tuple[Source, ...]:
    sources = SOURCES.get(resource_type)
    if sources is None:
        raise Http404(f"This server has no resource type {resource_type}.")
    return sources


def visible_patient(request: HttpRequest, patient_id: str):
    """The patient `patient_id` if the caller may see them; else 404, as a read of another
    clinic's record is (logged as refused when the patient exists). A search naming a
    patient (`patient=`) asks here first, so it never answers about someone out of reach."""
    try:
        external_id = uuid.UUID(patient_id)
    except ValueError as error:
        raise Http404(f"No Patient {patient_id}.") from error
    patient = PATIENT.rows(request.user).filter(external_id=external_id).first()
    if patient is None:
        raise refused(request, PATIENT.model.objects.all(), external_id, Http404())
    return patient


def page_size(request: HttpRequest) -> int:
    value = request.GET.get("_count", str(DEFAULT_COUNT))
    if not value.isdigit() or not 1 <= int(value) <= MAX_COUNT:
        raise BadSearch(f"_count: a whole number from 1 to {MAX_COUNT}.")
    return int(value)


def filtered(request: HttpRequest, source: Source):
    """`source`'s rows for this search, or None when none can match."""
    allowed = set(COMMON_PARAMETERS) | set(source.search)
    if source.is_patient_data and source.patient_path:
        allowed |= PATIENT_PARAMETERS
    unknown_names = set(request.GET) - allowed
    if unknown_names:
        raise BadSearch(unknown_message(source.resource_type, unknown_names))
    rows = source.rows(request.user)
    for name in request.GET:
        values = request.GET.getlist(name)
        if name == "_id":
            rows = rows.filter(external_id__in=external_ids(values, strict=False))
        elif name == "_lastUpdated":
            rows = rows.filter(date_filter("fhir_last_updated", values))
        elif name in PATIENT_PARAMETERS:
            tokens = [t.strip().removeprefix("Patient/") for v in values for t in v.split(",")]
            ids = external_ids(tokens, strict=False)
            rows = rows.filter(**{f"{source.patient_path}__external_id__in": ids})
        elif name in source.search:
            condition = source.search[name](values)
            if condition == EXCLUDED:
                return None
            rows = rows.filter(condition)
    return rows


def unknown_message(resource_type: str, names: set[str]) -> str:
    listed = ", ".join(sorted(names))
    return f"{resource_type} does not take the search parameter {listed}; see /fhir/r4/metadata."


def log(request: HttpRequest, action: AccessAction, rows) -> None:
    record_records_access(Actor.from_request(request), action, accessed(rows))
