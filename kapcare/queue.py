"""The background queue: Django's tasks framework (the `django-tasks` backport of
`django.tasks`), stored in the database by `django-tasks-db` and run by `manage.py
db_worker` on one machine or several (docs/background-jobs.md).

Two helpers every app uses instead of calling `.enqueue()` itself:

- `enqueue_on_commit`: a task about a change is enqueued once the change commits, so a
  rolled-back change runs nothing, and an enqueue that fails after the commit is logged
  rather than turned into an error page for a change that did happen (what the task was
  to do is still in the database: the minute job finds it).
- `enqueue` with `run_after`: deferred when the backend can defer; the immediate backend
  (the tests) cannot, so a deferred run is left to the minute job there.

`queue_health` is what the health check asks: can the task table be read, does no task
wait too long for a worker, and is the minute job scheduled."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)


def can_defer(task) -> bool:
    return task.get_backend().supports_defer


def enqueue(task, *args, run_after: dt.datetime | None = None, **kwargs):
    """Enqueue `task`; with `run_after` in the future, deferred until then where the
    backend can defer, else not enqueued (None): the minute job runs what is due."""
    if run_after is not None and run_after > timezone.now():
        if not can_defer(task):
            return None
        task = task.using(run_after=run_after)
    return task.enqueue(*args, **kwargs)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Enqueue `task` when the current transaction commits (at once outside one)."""

    def enqueue_logging_failure():
        try:
            enqueue(task, *args, **kwargs)
        except Exception:  # the change is committed; the minute job picks the work up
            logger.exception("Could not enqueue %s%r", task.name, args)

    transaction.on_commit(enqueue_logging_failure)


@dataclass(frozen=True)
class QueueHealth:
    """ "ok" or "failed", and why; never anything about a patient."""

    status: str
    detail: str

    @property
    def is_ok(self) -> bool:
        return self.status == "ok"


def queue_health(now: dt.datetime | None = None) -> QueueHealth:
    """Whether background work is being done: the task table answers, the oldest task
    that is ready has not waited longer than `QUEUE_MAX_WAIT` (else no worker is running,
    or too few), and the minute job has a run scheduled that is not overdue by as much."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db import DatabaseBackend

    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        return QueueHealth("ok", "tasks run as they are enqueued")
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    from kapcare.notifications.models import ScheduledRun
    from kapcare.notifications.tasks import MINUTE_JOB

    now = now or timezone.now()
    limit = now - settings.QUEUE_MAX_WAIT
    try:
        # Ready since before `limit`: due then (deferred), or enqueued then (not deferred).
        waiting = (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY)
            .filter(Q(run_after__lt=limit) | Q(run_after=get_date_max(), enqueued_at__lt=limit))
            .exists()
        )
        scheduled = ScheduledRun.objects.filter(job=MINUTE_JOB, run_at__gte=limit).exists()
    except DatabaseError:
        return QueueHealth("failed", "the task table cannot be read")
    minutes = int(settings.QUEUE_MAX_WAIT.total_seconds() // 60)
    if waiting:
        return QueueHealth(
            "failed", f"a task has waited more than {minutes} minutes: is a worker running?"
        )
    if not scheduled:
        return QueueHealth(
            "failed",
            f"the minute job has not run for {minutes} minutes: start a worker "
            "(manage.py db_worker schedules it)",
        )
    return QueueHealth("ok", "tasks are being run")
