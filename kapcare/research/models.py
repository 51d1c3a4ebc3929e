"""A research dataset export the clinic admin asked for: built in the background
(`tasks.build_research_export`), kept in the file storage for `RESEARCH_EXPORT_KEEP`, then
removed.

An export is a copy made for the admin, not a clinical record: its zip is removed when it
expires, and the row stays as the trace of who exported the clinic's data and when
(beside the access log's "exported" row for each patient it included)."""

import uuid

from django.conf import settings
from django.db import models


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Being built"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class ResearchExport(models.Model):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="research_exports"
    )
    # Where the request came from: the access log's rows for the export carry it.
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    content = models.FileField(upload_to="research-exports/", max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    # The rows written per CSV file.
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "requested_at"])]

    def __str__(self) -> str:
        return f"Research export {self.external_id} ({self.get_status_display()})"

    @property
    def is_under_way(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    def expires_at(self):
        """When the zip is removed (None until it is built)."""
        if self.status != ExportStatus.READY or self.finished_at is None:
            return None
        return self.finished_at + settings.RESEARCH_EXPORT_KEEP
