"""The minute job, run by the task workers without cron: queue the reminders and
overdue-integration flags that are due (`scheduled`), then send every email that is due and
has not gone (`services.deliver_due`: retries, and rows whose worker died or whose task was
lost), and remove the files of FHIR bulk exports past their keeping time.

Each run first schedules the next one (`SCHEDULED_JOBS_EVERY` later, on the boundary), so
a worker dying in the middle of a run does not end the chain. The next run is written as
a `ScheduledRun` row, unique per time: of several workers finishing runs at once, exactly
one enqueues it. A worker starting (`manage.py db_worker`) schedules a run at once unless
one is already ahead, which also restarts a chain that was lost. `queue_health` reports a
chain that stopped. Once an hour the job also prunes old task results and sends the
long-term follow-up questionnaires that are due (`follow_up.services`), and enqueues the
refresh of the stored ASKP3 conformance results (`conformance.services`)."""

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from kapcare import queue
from kapcare.conformance.tasks import refresh_conformance_task
from kapcare.fhir.bulk.services import expire_old as expire_old_exports
from kapcare.follow_up.services import send_due_follow_ups
from kapcare.notifications.models import ScheduledRun
from kapcare.notifications.scheduled import queue_due_notifications
from kapcare.notifications.services import deliver_due
from kapcare.research.services import expire_old as expire_old_research_exports

logger = logging.getLogger(__name__)

MINUTE_JOB = "notifications.minute_job"
# The minute job's runs are kept this long (the health check reads the latest).
KEEP_SCHEDULED_RUNS = dt.timedelta(days=1)
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
KEEP_TASK_RESULTS_DAYS = 7
KEEP_FAILED_TASK_RESULTS_DAYS = 30


def slot(moment: dt.datetime) -> dt.datetime:
    """The start of the `SCHEDULED_JOBS_EVERY` period `moment` is in: every worker
    computes the same times, so their runs collide on the unique row."""
    every = settings.SCHEDULED_JOBS_EVERY
    return EPOCH + ((moment - EPOCH) // every) * every


def schedule_run(at: dt.datetime) -> bool:
    """Enqueue a run of the minute job at `at` unless one is; True when this call did.
    Nothing is scheduled on a backend that cannot defer (the tests' immediate backend)."""
    if not queue.can_defer(minute_job):
        return False
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(job=MINUTE_JOB, run_at=at)
            minute_job.using(run_after=at).enqueue()
    except IntegrityError:
        return False
    return True


def ensure_scheduled(now: dt.datetime | None = None) -> bool:
    """At a worker's start: a run now, unless one is already scheduled ahead."""
    now = now or timezone.now()
    if ScheduledRun.objects.filter(job=MINUTE_JOB, run_at__gt=now).exists():
        return False
    return schedule_run(slot(now))


def prune_task_results() -> None:
    """Once an hour: finished task results are kept a week (a failed one a month, to be
    looked into); the outbox keeps each email's own history for good."""
    if queue.can_defer(minute_job):  # only the database backend keeps results
        call_command(
            "prune_db_task_results",
            queue_name="*",
            min_age_days=KEEP_TASK_RESULTS_DAYS,
            failed_min_age_days=KEEP_FAILED_TASK_RESULTS_DAYS,
            verbosity=0,
        )


@task()
def minute_job() -> dict:
    """One run: schedule the next, queue what is due, send what is due."""
    now = timezone.now()
    schedule_run(slot(now) + settings.SCHEDULED_JOBS_EVERY)
    ScheduledRun.objects.filter(job=MINUTE_JOB, run_at__lt=now - KEEP_SCHEDULED_RUNS).delete()
    on_the_hour = (slot(now) - EPOCH) % dt.timedelta(hours=1) < settings.SCHEDULED_JOBS_EVERY
    if on_the_hour:
        prune_task_results()
        # Expired exports' files go within the hour; the download already refuses them
        # from the moment they expire (fhir.bulk.services.is_expired, research.services).
        expire_old_exports(now)
        expire_old_research_exports(now)
        # Its own task: evaluating every open episode must not hold up the emails.
        queue.enqueue(refresh_conformance_task)
    site_url = settings.SITE_URL.rstrip("/")
    queued = queue_due_notifications(now, site_url) if site_url else 0
    if site_url and on_the_hour:
        # Follow-up points are days apart: once an hour is soon enough.
        queued += send_due_follow_ups(now)
    report = deliver_due(now)
    if not site_url:
        # What was already queued went; reminders need the address their links use.
        raise ImproperlyConfigured(
            "Set SITE_URL (e.g. https://kap.example.org): reminders link to kapcare."
        )
    return {
        "queued": queued,
        "sent": report.sent,
        "failed": report.failed,
        "cancelled": report.cancelled,
        "given_up": report.given_up,
    }
