"""FHIR Bulk Data export over HTTP (hl7.org/fhir/uv/bulkdata/export.html):

- kick-off: `GET /fhir/r4/$export` (system level, the clinic admin) or
  `GET /fhir/r4/Patient/$export` (every patient the caller may see), with
  `Prefer: respond-async` → 202 and `Content-Location` naming the status address;
- status: `GET` that address → 202 with `X-Progress` while it runs, then 200 with the
  JSON manifest; `DELETE` cancels it (202);
- output: each file's address, NDJSON, fetched with the same bearer token.

Only the person who started an export reaches its status and files; anyone else is told
"not found". Each file handed over is in the access log, one row per patient it holds.
"""

from functools import partial

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.log import Actor, record_records_access
from kapcare.audit.models import AccessAction
from kapcare.fhir.bulk import services
from kapcare.fhir.bulk.models import ExportFile, ExportJob, ExportLevel, ExportStatus
from kapcare.fhir.responses import outcome
from kapcare.fhir.views import fhir_endpoint
from kapcare.patients.models import Patient

# How long a client should wait before it asks again (the IG's `Retry-After`).
RETRY_AFTER_SECONDS = 5
ACCEPTED_TYPES = frozenset({"", "*/*", "application/fhir+json", "application/json"})


@fhir_endpoint
def system_export(request: HttpRequest) -> HttpResponse:
    return _kick_off(request, ExportLevel.SYSTEM)


@fhir_endpoint
def patient_export(request: HttpRequest) -> HttpResponse:
    return _kick_off(request, ExportLevel.PATIENT)


def _kick_off(request: HttpRequest, level: ExportLevel) -> HttpResponse:
    if "respond-async" not in request.headers.get("Prefer", ""):
        return outcome(
            400, "invalid", "Send 'Prefer: respond-async': an export runs in the background."
        )
    if request.headers.get("Accept", "").split(";")[0].strip() not in ACCEPTED_TYPES:
        return outcome(
            406, "not-supported", "Accept application/fhir+json for the status and errors."
        )
    asked = services.read_request(level, request.GET)
    try:
        job = services.kick_off(request.user, asked, request.build_absolute_uri())
    except services.ExportRefused as refusal:
        code = "forbidden" if refusal.status == 403 else "throttled"
        return outcome(refusal.status, code, str(refusal))
    response = HttpResponse(status=202)
    response["Content-Location"] = request.build_absolute_uri(
        reverse("fhir:export-status", args=[job.external_id])
    )
    return response


@partial(fhir_endpoint, methods=("GET", "DELETE"))
def export_status(request: HttpRequest, job_id) -> HttpResponse:
    job = _own_job(request, job_id)
    if request.method == "DELETE":
        services.cancel(job)
        return HttpResponse(status=202)
    if job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        response = HttpResponse(status=202)
        response["X-Progress"] = services.progress(job)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if job.status == ExportStatus.FAILED:
        return outcome(
            500, "exception", "The export failed on our side; it has been logged. Start it again."
        )
    manifest = services.manifest(
        job,
        lambda f: request.build_absolute_uri(reverse("fhir:export-file", args=[f.external_id])),
    )
    return JsonResponse(manifest)


@fhir_endpoint
def export_file(request: HttpRequest, file_id) -> HttpResponse:
    export_file = ExportFile.objects.select_related("job").filter(external_id=file_id).first()
    if export_file is None:
        raise Http404("No such export file.")
    job = _own_job(request, export_file.job.external_id)
    if job.status != ExportStatus.DONE:
        raise Http404("No such export file.")
    patients = Patient.objects.filter(pk__in=export_file.patient_ids).only("pk", "clinic_id")
    record_records_access(
        Actor.from_request(request),
        AccessAction.EXPORT,
        ((patient, None) for patient in patients.iterator()),
    )
    response = FileResponse(
        export_file.content.open("rb"), content_type=services.NDJSON_CONTENT_TYPE
    )
    return response


def _own_job(request: HttpRequest, job_id) -> ExportJob:
    """The requester's own export, still theirs to have: "not found" for anyone else's, a
    cancelled or expired one, or one holding a patient the requester may no longer see
    (the export is then voided, files removed)."""
    job = ExportJob.objects.filter(external_id=job_id, requested_by=request.user).first()
    if job is None or job.status in (ExportStatus.CANCELLED, ExportStatus.EXPIRED):
        raise Http404("No such export.")
    if job.status == ExportStatus.DONE:
        if services.is_expired(job, timezone.now()):
            services.void(job, ExportStatus.EXPIRED)
            raise Http404("This export has expired; start a new one.")
        if not services.still_allowed(job):
            services.void(job, ExportStatus.EXPIRED)
            raise Http404("This export holds records you may no longer see; start a new one.")
    return job
