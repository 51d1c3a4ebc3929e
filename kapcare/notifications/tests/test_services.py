"""The outbox: one email per key, nothing for a rolled-back change, nothing before it is
due, a failed send kept for the next run until it is given up on, never sent twice even
by two workers at once, and links that are credentials wiped once sent."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection, connections, transaction

from kapcare.notifications import services
from kapcare.notifications.models import Notification, NotificationKind
from tests.clock import wall_clock

# Delivery runs a day after the rows are queued (at the real time the test runs).
NOW = wall_clock(days=1, hour=15, time_zone="UTC")
TEMPLATE = "measures/email/safety_alert.txt"


def queue(key="test:1", kind=NotificationKind.SAFETY_ALERT, due_at=None, to="inbox@example.org"):
    return services.notify(
        key=key,
        kind=kind,
        to=to,
        subject="Something needs review",
        template=TEMPLATE,
        context={"clinic": {"name": "Riverbend"}, "link": "http://testserver/alerts/x/"},
        due_at=due_at,
    )


DOWN = "tests.mail_backends.DownBackend"


@pytest.fixture
def mail_server_down(settings):
    settings.EMAIL_BACKEND = DOWN


# --- Queueing --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_key_is_queued_and_sent_once_however_often_it_is_asked_for(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue()
        second = queue()

    assert first is not None
    assert second is None
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["inbox@example.org"]


@pytest.mark.django_db
def test_a_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks):
    def change_that_fails():
        with transaction.atomic():
            queue()
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        change_that_fails()

    assert callbacks == []
    assert Notification.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_email_without_an_address_is_not_queued():
    assert queue(to="") is None
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_an_email_due_later_waits_for_a_run_after_it_is_due(django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            queue(due_at=NOW + dt.timedelta(hours=2))
        assert services.deliver_due().sent == 0

    with time_machine.travel(NOW + dt.timedelta(hours=2, minutes=1), tick=False):
        assert services.deliver_due().sent == 1

    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_many_rows_are_queued_in_one_insert_skipping_keys_already_queued(
    django_assert_num_queries,
):
    queue(key="old")
    rows = [
        Notification(key=key, kind=NotificationKind.ACCOUNT, to_email="a@example.org", body="x")
        for key in ["old", "new:1", "new:2"]
    ]

    with django_assert_num_queries(2):  # the insert, and counting what it added
        assert services.queue_many(rows) == 2

    assert Notification.objects.count() == 3


# --- Delivery --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_row_is_sent_once_however_often_delivery_is_asked_for():
    row = queue()

    assert services.deliver(row.pk) is True
    assert services.deliver(row.pk) is False
    assert services.deliver_due().sent == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_send_is_kept_with_its_error_for_the_next_run(settings):
    row = queue()
    settings.EMAIL_BACKEND = DOWN

    with time_machine.travel(NOW, tick=False):
        report = services.deliver_due()

    row.refresh_from_db()
    assert (report.sent, report.failed, report.given_up) == (0, 1, [])
    assert row.sent_at is None
    assert row.attempts == 1
    assert "Connection unexpectedly closed" in row.last_error
    assert row.due_at == NOW + dt.timedelta(minutes=1)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        assert services.deliver_due().sent == 1

    row.refresh_from_db()
    assert row.sent_at is not None
    assert (row.attempts, row.last_error) == (2, "")
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (9, 60)],
)
def test_each_retry_waits_twice_as_long_up_to_an_hour(attempts, delay):
    assert services.retry_delay(attempts) == dt.timedelta(minutes=delay)


@pytest.mark.django_db
def test_a_row_failing_every_time_is_given_up_after_the_last_attempt(mail_server_down):
    row = queue()
    reports = []
    moment = NOW
    for _ in range(services.MAX_ATTEMPTS + 2):
        with time_machine.travel(moment, tick=False):
            reports.append(services.deliver_due())
        moment += dt.timedelta(hours=2)

    assert sum(report.failed for report in reports) == services.MAX_ATTEMPTS
    assert [report.given_up for report in reports if report.given_up] == [[row.pk]]
    assert reports[-1].failed == 0
    row.refresh_from_db()
    assert row.attempts == services.MAX_ATTEMPTS
    assert list(services.given_up()) == [row]


@pytest.mark.django_db
def test_a_second_worker_running_while_the_first_sends_sends_nothing(monkeypatch):
    """Two runs interleaved: while the first is talking to the mail server, the second
    runs from start to end. The first's claim keeps the second off the row."""
    queue()
    send = EmailMessage.send
    inner = []

    def send_while_another_run_starts(message, *args, **kwargs):
        if not inner:
            inner.append(services.deliver_due())
        return send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMessage, "send", send_while_another_run_starts)

    outer = services.deliver_due()

    assert (outer.sent, inner[0].sent) == (1, 0)
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_on_postgresql_send_each_row_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…); the interleaved test runs")
    later = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)  # not sent on commit: left to the runs
    for n in range(20):
        queue(key=f"race:{n}", to=f"person{n}@example.org", due_at=later)
    assert mail.outbox == []
    workers = 4
    barrier = threading.Barrier(workers)
    reports = [None] * workers

    def run(index):
        try:
            barrier.wait(timeout=60)
            reports[index] = services.deliver_due(later)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sum(report.sent for report in reports) == 20
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        f"person{n}@example.org" for n in range(20)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [NotificationKind.INVITATION, NotificationKind.QUESTIONNAIRE_LINK])
def test_a_link_that_is_a_credential_is_wiped_from_the_outbox_once_sent(kind):
    row = queue(kind=kind)

    services.deliver(row.pk)

    row.refresh_from_db()
    assert row.body == ""
    assert "/alerts/x/" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_credential_is_kept_until_it_is_sent(mail_server_down):
    row = queue(kind=NotificationKind.INVITATION)

    services.deliver(row.pk)

    row.refresh_from_db()
    assert "/alerts/x/" in row.body


@pytest.mark.django_db
def test_a_credential_given_up_on_is_wiped_from_the_outbox(mail_server_down):
    row = queue(kind=NotificationKind.INVITATION)
    moment = NOW
    for _ in range(services.MAX_ATTEMPTS):
        with time_machine.travel(moment, tick=False):
            services.deliver_due()
        moment += dt.timedelta(hours=2)

    row.refresh_from_db()
    assert row.attempts == services.MAX_ATTEMPTS
    assert row.body == ""


@pytest.mark.django_db
def test_other_emails_are_kept_whole_once_sent():
    row = queue(kind=NotificationKind.SAFETY_ALERT)

    services.deliver(row.pk)

    row.refresh_from_db()
    assert "/alerts/x/" in row.body
