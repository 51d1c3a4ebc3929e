"""The research dataset as a background job: the admin asks (`request_export`), a task
builds the zip into the file storage (`build`), the admin downloads it while it is kept
(`readable`), and the minute job removes it once `RESEARCH_EXPORT_KEEP` has passed
(`expire_old`). Building the whole clinic's dataset takes too long for a request."""

import logging
import tempfile
from datetime import datetime

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from kapcare import policy, queue
from kapcare.accounts.models import User
from kapcare.audit.log import Actor
from kapcare.refusals import Refused
from kapcare.research.export import write_dataset
from kapcare.research.models import ExportStatus, ResearchExport

logger = logging.getLogger(__name__)


def request_export(actor: Actor) -> ResearchExport:
    """Record the admin's request and enqueue its build once this transaction commits.
    One export under way per clinic: a second request waits for the first."""
    user = actor.user
    if not policy.can(user, policy.Action.EXPORT_RESEARCH_DATASET):
        raise Refused({"__all__": "Your role may not export the research dataset."})
    from kapcare.research.tasks import build_research_export

    with transaction.atomic():
        # The requester's row is locked so two requests at once cannot both pass.
        User.objects.select_for_update().filter(pk=user.pk).first()
        under_way = ResearchExport.objects.filter(
            clinic_id=user.clinic_id, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]
        )
        if under_way.exists():
            raise Refused({"__all__": "An export is already being built; wait for it."})
        export = ResearchExport.objects.create(
            clinic_id=user.clinic_id, requested_by=user, ip_address=actor.ip_address
        )
    queue.enqueue_on_commit(build_research_export, export.pk)
    return export


def build(export_id: int) -> None:
    """Write the zip as its requester (the access log's rows name them). Safe to run
    twice: only a queued export is claimed."""
    claimed = ResearchExport.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING
    )
    if not claimed:
        return
    export = ResearchExport.objects.select_related("clinic", "requested_by").get(pk=export_id)
    actor = Actor(user=export.requested_by, ip_address=export.ip_address)
    try:
        with tempfile.TemporaryFile() as scratch:
            counts = write_dataset(scratch, actor=actor, clinic=export.clinic)
            size = scratch.tell()
            scratch.seek(0)
            export.content.save(f"{export.external_id}.zip", File(scratch), save=False)
        ResearchExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.READY,
            content=export.content.name,
            size_bytes=size,
            counts=counts,
            finished_at=timezone.now(),
        )
    except Exception as error:
        logger.exception("Research export %s failed", export.external_id)
        if export.content:
            export.content.delete(save=False)
        ResearchExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED,
            content="",
            finished_at=timezone.now(),
            error=type(error).__name__,
        )


def readable(export: ResearchExport, now: datetime) -> bool:
    """Whether the zip may be handed over: built, and not past its keep."""
    expires = export.expires_at()
    return bool(export.content) and expires is not None and now < expires


def expire_old(now: datetime) -> int:
    """Remove the zips of exports built longer than `RESEARCH_EXPORT_KEEP` ago (the minute
    job calls this); the rows stay. Returns how many expired."""
    expired = 0
    for export in ResearchExport.objects.filter(
        status=ExportStatus.READY, finished_at__lt=now - settings.RESEARCH_EXPORT_KEEP
    ):
        if export.content:
            export.content.delete(save=False)
        ResearchExport.objects.filter(pk=export.pk).update(status=ExportStatus.EXPIRED, content="")
        expired += 1
    return expired
