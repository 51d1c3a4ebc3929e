"""A FHIR bulk export (hl7.org/fhir/uv/bulkdata/export.html): what was asked, by whom, how
far it has got, and the NDJSON files it wrote.

An export is a copy made for the person who asked, not a clinical record: its files are
removed when the requester cancels it or when it expires (`FHIR_EXPORT_KEEP`), and the
job row stays as the trace of who exported what and when (beside the access log's rows
for each patient whose data was fetched).
"""

import uuid

from django.conf import settings
from django.db import models


class ExportLevel(models.TextChoices):
    SYSTEM = "system", "System (/$export)"
    PATIENT = "patient", "Patient (/Patient/$export)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class ExportJob(models.Model):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fhir_exports"
    )
    level = models.CharField(max_length=10, choices=ExportLevel.choices)
    # The resource types asked for (`_type`), in the order they are written.
    resource_types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    # The kick-off request's full URL, repeated in the manifest as `request`.
    request_url = models.TextField()
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    # Which types are written so far, for `X-Progress`.
    types_done = models.PositiveIntegerField(default=0)
    # The moment the export reads as of: no resource changed after it is included.
    transaction_time = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["requested_by", "created_at"])]

    def __str__(self) -> str:
        return f"FHIR export {self.external_id} ({self.get_status_display()})"


class ExportFile(models.Model):
    """One NDJSON file of one resource type: one resource per line."""

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="files")
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    resource_type = models.CharField(max_length=40)
    content = models.FileField(upload_to="fhir-exports/", max_length=200)
    count = models.PositiveIntegerField()
    # Which of the type's sources (`SOURCES[resource_type]`) wrote it: a therapist's reach
    # differs by source (vital signs and questionnaire totals need different scopes).
    source_index = models.PositiveSmallIntegerField(default=0)
    # The patients whose data the file holds: before it is handed over, each must still
    # be one the requester may see (a therapist's revoked authorisation ends the export).
    patient_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["job", "pk"]

    def __str__(self) -> str:
        return f"{self.resource_type} NDJSON of {self.job.external_id}"
