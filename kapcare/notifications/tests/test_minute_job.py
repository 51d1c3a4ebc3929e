"""The minute job on the database backend: a worker starting schedules it, each run
schedules the next exactly once however many workers run at once, it sends what is due,
and the queue's health check sees a queue nobody works or a job that stopped."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import DatabaseError
from django.db.models import F
from django_tasks_db.models import DBTaskResult

from kapcare import queue
from kapcare.notifications import services, tasks
from kapcare.notifications.models import NotificationKind, ScheduledRun

NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(
    days=1, seconds=20
)
MINUTE_JOB = tasks.minute_job.module_path


@pytest.fixture(autouse=True)
def database_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SITE_URL = "https://kap.example.org"
    settings.SCHEDULED_JOBS_EVERY = dt.timedelta(minutes=1)


def runs() -> list[dt.datetime]:
    return sorted(
        DBTaskResult.objects.filter(task_path=MINUTE_JOB).values_list("run_after", flat=True)
    )


@pytest.mark.django_db
def test_a_worker_starting_schedules_a_run_at_once_and_a_second_adds_none():
    with time_machine.travel(NOW, tick=False):
        assert tasks.ensure_scheduled() is True
        assert tasks.ensure_scheduled() is False

    assert runs() == [NOW.replace(second=0)]


@pytest.mark.django_db
def test_each_run_schedules_the_next_once_however_many_workers_run_it():
    with time_machine.travel(NOW, tick=False):
        tasks.minute_job.call()
        tasks.minute_job.call()
        # A worker starting meanwhile sees the next run ahead and adds none.
        assert tasks.ensure_scheduled() is False

    assert runs() == [NOW.replace(second=0) + dt.timedelta(minutes=1)]
    assert ScheduledRun.objects.count() == 1


@pytest.mark.django_db
def test_a_late_run_schedules_the_next_after_now_not_the_missed_ones():
    with time_machine.travel(NOW + dt.timedelta(minutes=7), tick=False):
        tasks.minute_job.call()

    assert runs() == [NOW.replace(second=0) + dt.timedelta(minutes=8)]


@pytest.mark.django_db
def test_old_runs_are_pruned():
    ScheduledRun.objects.create(job=tasks.MINUTE_JOB, run_at=NOW - dt.timedelta(days=2))

    with time_machine.travel(NOW, tick=False):
        tasks.minute_job.call()

    assert list(ScheduledRun.objects.values_list("run_at", flat=True)) == [
        NOW.replace(second=0) + dt.timedelta(minutes=1)
    ]


@pytest.mark.django_db
def test_the_first_run_of_each_hour_prunes_task_results_older_than_a_week():
    hour = NOW.replace(second=0)
    with time_machine.travel(hour - dt.timedelta(days=8), tick=False):
        old = tasks.minute_job.enqueue()
    with time_machine.travel(hour - dt.timedelta(days=6), tick=False):
        recent = tasks.minute_job.enqueue()
    DBTaskResult.objects.update(status="SUCCESSFUL", finished_at=F("enqueued_at"))

    with time_machine.travel(hour + dt.timedelta(minutes=1), tick=False):
        tasks.minute_job.call()  # not the hour's first run: nothing pruned
    assert DBTaskResult.objects.filter(id=old.id).exists()
    with time_machine.travel(hour, tick=False):
        tasks.minute_job.call()

    assert not DBTaskResult.objects.filter(id=old.id).exists()
    assert DBTaskResult.objects.filter(id=recent.id).exists()


@pytest.mark.django_db
def test_the_run_sends_what_is_due_and_has_no_task_yet(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            key="minute:1",
            kind=NotificationKind.SAFETY_ALERT,
            to="inbox@example.org",
            subject="Something needs review",
            template="measures/email/safety_alert.txt",
            context={"clinic": {"name": "Riverbend"}, "path": "/x/"},
        )
    # On the database backend the delivery waits in the queue for a worker.
    assert mail.outbox == []
    assert DBTaskResult.objects.filter(task_path__endswith="deliver_notification").count() == 1

    result = tasks.minute_job.call()

    assert result["sent"] == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_run_without_the_site_address_still_sends_but_fails_loudly(settings):
    settings.SITE_URL = ""

    with pytest.raises(Exception, match="Set SITE_URL"):
        tasks.minute_job.call()

    assert len(runs()) == 1  # the next run is scheduled all the same


# Outside a test transaction: the worker closes a connection not in autocommit mode.
@pytest.mark.django_db(transaction=True)
def test_the_worker_command_schedules_the_job_and_runs_it():
    with time_machine.travel(NOW, tick=True):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    finished = DBTaskResult.objects.filter(task_path=MINUTE_JOB, status="SUCCESSFUL")
    assert finished.count() == 1
    assert runs()[-1] == NOW.replace(second=0) + dt.timedelta(minutes=1)


# --- Health ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_queue_is_healthy_while_the_job_is_scheduled_and_nothing_waits():
    with time_machine.travel(NOW, tick=False):
        tasks.ensure_scheduled()
        assert queue.queue_health().status == "ok"


@pytest.mark.django_db
def test_a_task_waiting_longer_than_the_limit_makes_the_queue_unhealthy(settings):
    with time_machine.travel(NOW, tick=False):
        tasks.ensure_scheduled()
    later = NOW + settings.QUEUE_MAX_WAIT + dt.timedelta(minutes=1)

    health = queue.queue_health(later)

    assert health.status == "failed"
    assert "is a worker running?" in health.detail


@pytest.mark.django_db
def test_a_minute_job_that_stopped_makes_the_queue_unhealthy(settings):
    with time_machine.travel(NOW, tick=False):
        tasks.ensure_scheduled()
    DBTaskResult.objects.update(status="SUCCESSFUL")  # ran, and scheduled nothing after

    health = queue.queue_health(NOW + settings.QUEUE_MAX_WAIT + dt.timedelta(minutes=1))

    assert health.status == "failed"
    assert "minute job" in health.detail


@pytest.mark.django_db
def test_an_unreadable_task_table_makes_the_queue_unhealthy(monkeypatch):
    def unreadable(*args, **kwargs):
        raise DatabaseError("no such table: django_tasks_database_dbtaskresult")

    monkeypatch.setattr(DBTaskResult.objects, "filter", unreadable)

    assert queue.queue_health() == queue.QueueHealth("failed", "the task table cannot be read")


def test_tasks_run_at_once_on_the_immediate_backend_count_as_healthy(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    assert queue.queue_health().is_ok
