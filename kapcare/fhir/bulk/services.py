"""The work of a FHIR bulk export (hl7.org/fhir/uv/bulkdata/export.html), apart from HTTP:

- `kick_off`: check what was asked and record the job; the task runs it once the request
  commits.
- `run`: as the requester, at one moment (`transactionTime`), write each asked type's
  resources that the requester may see to NDJSON files, one per source table, noting the
  patients each file holds.
- `manifest`: the completed export's description, as the IG words it.
- `still_allowed`: whether the requester may still see every patient of every file —
  checked before each handover, so a therapist whose authorisation is revoked after the
  kick-off gets nothing.
- `cancel`, `expire_old`: an export's files are removed when the requester cancels it
  or after `FHIR_EXPORT_KEEP`; the job row stays as the trace.

What each caller may see is the mapping layer's (`Source.rows`), shared with reads,
searches and `$everything`, so the policy module decides here as everywhere.
"""

import json
import logging
import tempfile
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from kapcare import policy, queue
from kapcare.accounts.models import User
from kapcare.fhir.bulk.models import ExportFile, ExportJob, ExportLevel, ExportStatus
from kapcare.fhir.resources import PATIENT_SOURCES, SOURCES, STATIC_TYPES, BadSearch
from kapcare.fhir.resources.base import Source
from kapcare.fhir.search import parse_instant
from kapcare.patients.models import Patient

logger = logging.getLogger(__name__)

# What `_outputFormat` may name: the IG's NDJSON media types and its short form.
OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
KICK_OFF_PARAMETERS = frozenset({"_outputFormat", "_type", "_since"})
NDJSON_CONTENT_TYPE = "application/fhir+ndjson"
ROWS_PER_FETCH = 2000

# The types each level exports by default (no `_type`): a patient-level export is the
# patients' data only; a system export adds the clinic's people and the instruments.
PATIENT_LEVEL_TYPES = tuple(dict.fromkeys(source.resource_type for source in PATIENT_SOURCES))
SYSTEM_LEVEL_TYPES = (*SOURCES, *STATIC_TYPES)
LEVEL_TYPES = {ExportLevel.SYSTEM: SYSTEM_LEVEL_TYPES, ExportLevel.PATIENT: PATIENT_LEVEL_TYPES}
LEVEL_ACTIONS = {
    ExportLevel.SYSTEM: policy.Action.FHIR_SYSTEM_EXPORT,
    ExportLevel.PATIENT: policy.Action.FHIR_PATIENT_EXPORT,
}


class ExportRefused(Exception):
    """The requester may not start this export (their role, or one already under way)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Request:
    level: ExportLevel
    resource_types: tuple[str, ...]
    since: datetime | None


def read_request(level: ExportLevel, params) -> Request:
    """The kick-off's parameters, checked; `BadSearch` names the one kapcare cannot
    honour (an unsupported parameter is refused rather than ignored, so a client never
    receives less than it asked for without knowing)."""
    unknown = sorted(set(params) - KICK_OFF_PARAMETERS)
    if unknown:
        raise BadSearch(f"{', '.join(unknown)}: not supported by this server's $export.")
    output_format = params.get("_outputFormat")
    if output_format is not None and output_format not in OUTPUT_FORMATS:
        raise BadSearch(
            f"_outputFormat: “{output_format}” is not supported; use application/fhir+ndjson."
        )
    allowed = LEVEL_TYPES[level]
    types = allowed
    if params.get("_type"):
        types = tuple(dict.fromkeys(t.strip() for t in params["_type"].split(",") if t.strip()))
        wrong = [t for t in types if t not in allowed]
        if wrong:
            raise BadSearch(
                f"_type: {', '.join(wrong)} cannot be exported at this level; "
                f"choose from {', '.join(allowed)}."
            )
    since = parse_instant(params["_since"], "_since") if params.get("_since") else None
    return Request(level=level, resource_types=types, since=since)


def kick_off(user, asked: Request, request_url: str) -> ExportJob:
    """Record the export and enqueue its task once this transaction commits."""
    if not policy.can(user, LEVEL_ACTIONS[asked.level]):
        raise ExportRefused(403, "Your role may not start this export.")
    with transaction.atomic():
        # One export at a time per person: a second waits for the first (or its cancel).
        # The requester's row is locked so two kick-offs at once cannot both pass.
        User.objects.select_for_update().filter(pk=user.pk).first()
        under_way = ExportJob.objects.filter(
            requested_by=user, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
        )
        if under_way.exists():
            raise ExportRefused(429, "An export of yours is under way; wait for it or cancel it.")
        job = ExportJob.objects.create(
            requested_by=user,
            level=asked.level,
            resource_types=list(asked.resource_types),
            since=asked.since,
            request_url=request_url,
        )
    queue.enqueue_on_commit(run_export, job.pk)
    return job


@task()
def run_export(job_id: int) -> None:
    """The background task of one export (enqueued on commit by `kick_off`)."""
    run(job_id)


def run(job_id: int) -> None:
    """Write the export's files, as its requester, as of one moment. Safe to run twice:
    only a queued export is claimed."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, transaction_time=now
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    try:
        for done, resource_type in enumerate(job.resource_types, start=1):
            if _cancelled(job):
                return
            _write_type(job, resource_type)
            ExportJob.objects.filter(pk=job.pk).update(types_done=done)
        ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.DONE, finished_at=timezone.now()
        )
    except Exception as error:
        logger.exception("FHIR export %s failed", job.external_id)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, finished_at=timezone.now(), error=type(error).__name__
        )
        _remove_files(job)
    if _cancelled(job):
        _remove_files(job)


def _cancelled(job: ExportJob) -> bool:
    status = ExportJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
    return status == ExportStatus.CANCELLED


def _write_type(job: ExportJob, resource_type: str) -> None:
    if resource_type in STATIC_TYPES:
        module = STATIC_TYPES[resource_type]
        resources = (module.to_fhir(instrument) for instrument in module.all_instruments())
        _save_file(job, resource_type, resources, patient_ids=[])
        return
    for source in _sources(job, resource_type):
        rows = source.rows(job.requested_by, since=job.since).filter(
            fhir_last_updated__lte=job.transaction_time
        )
        patient_ids: set[int] = set()
        if source.is_patient_data:
            patient_field = f"{source.patient_path}__pk" if source.patient_path else "pk"
            rows = rows.annotate(export_patient_id=F(patient_field))
        resources = _resources(source, rows.order_by("pk"), patient_ids)
        _save_file(job, resource_type, resources, patient_ids=patient_ids, source=source)


def _sources(job: ExportJob, resource_type: str) -> tuple[Source, ...]:
    sources = SOURCES[resource_type]
    if job.level == ExportLevel.PATIENT:
        sources = tuple(source for source in sources if source.is_patient_data)
    return sources


def _resources(source: Source, rows, patient_ids: set[int]):
    for row in rows.iterator(chunk_size=ROWS_PER_FETCH):
        if source.is_patient_data:
            patient_ids.add(row.export_patient_id)
        yield source.to_fhir(row)


def _save_file(job, resource_type, resources, *, patient_ids, source=None) -> None:
    count = 0
    with tempfile.TemporaryFile(mode="w+b") as scratch:
        for resource in resources:
            line = json.dumps(resource, cls=DjangoJSONEncoder, separators=(",", ":"))
            scratch.write(line.encode() + b"\n")
            count += 1
        if not count:
            return
        scratch.seek(0)
        export_file = ExportFile(
            job=job,
            resource_type=resource_type,
            count=count,
            source_index=SOURCES[resource_type].index(source) if source else 0,
            patient_ids=sorted(patient_ids),
        )
        export_file.content.save(f"{export_file.external_id}.ndjson", File(scratch), save=False)
        export_file.save()


def progress(job: ExportJob) -> str:
    """`X-Progress`: a short phrase for a person watching the client."""
    if job.status == ExportStatus.QUEUED:
        return "Queued"
    total = len(job.resource_types)
    return f"Written {job.types_done} of {total} resource types"


def manifest(job: ExportJob, file_url) -> dict:
    """The completion manifest (the IG's "Response - Complete Status")."""
    return {
        "transactionTime": job.transaction_time.isoformat(timespec="seconds"),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": f.resource_type, "url": file_url(f), "count": f.count} for f in job.files.all()
        ],
        "error": [],
    }


def still_allowed(job: ExportJob) -> bool:
    """Whether the requester may still see every patient whose data the files hold, by
    the same rule that chose the rows (so a revocation since the kick-off ends it)."""
    for export_file in job.files.all():
        if not export_file.patient_ids:
            continue
        source = SOURCES[export_file.resource_type][export_file.source_index]
        out_of_reach = Patient.objects.filter(pk__in=export_file.patient_ids).exclude(
            pk__in=source.patients(job.requested_by)
        )
        if out_of_reach.exists():
            return False
    return True


def void(job: ExportJob, status: ExportStatus) -> None:
    """End an export: its files are removed; the job row stays as the trace."""
    ExportJob.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now())
    _remove_files(job)


def cancel(job: ExportJob) -> None:
    void(job, ExportStatus.CANCELLED)


def expire_old(now: datetime) -> int:
    """Remove the files of exports finished longer than `FHIR_EXPORT_KEEP` ago (the
    minute job calls this on the hour); returns how many exports expired."""
    old = ExportJob.objects.filter(
        status=ExportStatus.DONE, finished_at__lt=now - settings.FHIR_EXPORT_KEEP
    )
    expired = 0
    for job in old:
        void(job, ExportStatus.EXPIRED)
        expired += 1
    return expired


def is_expired(job: ExportJob, now: datetime) -> bool:
    return job.finished_at is not None and job.finished_at < now - settings.FHIR_EXPORT_KEEP


def _remove_files(job: ExportJob) -> None:
    for export_file in ExportFile.objects.filter(job=job):
        export_file.content.delete(save=False)
    ExportFile.objects.filter(job=job).delete()
