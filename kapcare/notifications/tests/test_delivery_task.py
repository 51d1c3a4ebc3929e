"""Delivery as a background task: enqueued when the change commits, a claim held for a
lease (a worker that dies leaves the email to the next, which sends it once), the outside
therapist's authorisation read again when the email goes, and one Message-ID per row."""

import contextlib
import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django_tasks import TaskResultStatus

from kapcare.accounts.services import set_active
from kapcare.audit.log import Actor
from kapcare.consents import services as consents
from kapcare.notifications import services
from kapcare.notifications.models import Notification, NotificationKind
from kapcare.policy import Action
from kapcare.scopes import Scope
from tests.factories import authorize

TEMPLATE = "measures/email/safety_alert.txt"
NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
DOWN = "tests.mail_backends.DownBackend"


def queue(key="test:1", to="inbox@example.org", **gate):
    return services.notify(
        key=key,
        kind=NotificationKind.APPOINTMENT_REMINDER,
        to=to,
        subject="An appointment",
        template=TEMPLATE,
        context={"clinic": {"name": "Riverbend"}, "path": "/x/"},
        **gate,
    )


def to_therapist(patient, therapist, action=Action.VIEW_SCHEDULE):
    return queue(
        key=f"to-therapist:{action}",
        to=therapist.email,
        therapist=therapist,
        patient=patient,
        therapist_action=action,
    )


def sent_to(address: str) -> int:
    """How many of the test's emails (not the authorisation's own) went to `address`."""
    return sum(
        1
        for message in mail.outbox
        if address in message.to and message.subject == "An appointment"
    )


class WorkerKilled(BaseException):
    """What a worker killed mid-send looks like to the code it was running: nothing
    after this line runs (not even an `except Exception`)."""


# --- Enqueued on commit ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_delivery_task_is_enqueued_only_when_the_change_commits(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        row = queue()
    assert mail.outbox == []

    for callback in callbacks:
        callback()

    row.refresh_from_db()
    assert row.sent_at is not None
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_delivery_task_run_twice_sends_once():
    row = queue()

    first = services.deliver_notification.enqueue(row.pk)
    second = services.deliver_notification.enqueue(row.pk)

    assert (first.return_value, second.return_value) == ("sent", "not claimed")
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_try_fails_the_task_so_its_result_shows_the_error(settings):
    row = queue()
    settings.EMAIL_BACKEND = DOWN

    with time_machine.travel(NOW, tick=False):
        result = services.deliver_notification.enqueue(row.pk)

    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path.endswith("DeliveryFailed")
    assert "SMTPServerDisconnected" in result.errors[0].traceback
    row.refresh_from_db()
    assert (row.attempts, row.claimed_until, row.due_at) == (1, None, NOW + dt.timedelta(minutes=1))


# --- The therapist's authorisation, read when the email goes ---------------------------------


@pytest.mark.django_db
def test_a_reminder_queued_before_a_revocation_is_cancelled_when_it_runs(
    patient, therapist, django_capture_on_commit_callbacks
):
    authorization = authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    with django_capture_on_commit_callbacks() as delivery:
        row = to_therapist(patient, therapist)
    consents.revoke_authorization(
        actor=Actor(user=patient.user, ip_address="127.0.0.1"), authorization=authorization
    )

    for callback in delivery:  # the worker runs the task after the revocation
        callback()
    services.deliver_due()

    assert sent_to(therapist.email) == 0
    row.refresh_from_db()
    assert row.sent_at is None
    assert row.cancelled_at is not None
    assert "no longer shares “Dates and times of dosing sessions”" in row.cancel_reason
    assert "revoked" in row.cancel_reason


@pytest.mark.django_db
def test_an_email_needing_a_scope_the_patient_does_not_share_is_cancelled(patient, therapist):
    authorize(patient, therapist, scopes=[Scope.MEASURES])

    row = to_therapist(patient, therapist, Action.VIEW_SESSION_SUMMARIES)
    services.deliver_due()

    row.refresh_from_db()
    assert sent_to(therapist.email) == 0
    assert "“Dosing session summaries”" in row.cancel_reason


@pytest.mark.django_db
def test_an_email_to_a_therapist_whose_account_was_closed_is_cancelled(patient, therapist):
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    row = to_therapist(patient, therapist)
    set_active(user=therapist, is_active=False)

    services.deliver_due()

    row.refresh_from_db()
    assert sent_to(therapist.email) == 0
    assert row.cancel_reason == "The therapist's account is closed."


@pytest.mark.django_db
def test_an_email_checked_against_an_authorisation_must_name_the_therapist(patient):
    with pytest.raises(ValueError, match="names both"):
        queue(patient=patient, therapist_action=Action.VIEW_SCHEDULE)


@pytest.mark.django_db
def test_an_email_to_a_therapist_still_authorised_is_sent(patient, therapist):
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])

    row = to_therapist(patient, therapist)
    services.deliver_due()

    row.refresh_from_db()
    assert (row.sent_at is not None, row.cancelled_at) == (True, None)
    assert sent_to(therapist.email) == 1


# --- At least once: the lease ----------------------------------------------------------------


@pytest.mark.django_db
def test_an_email_whose_worker_died_before_sending_is_sent_once_the_lease_ends(
    settings, monkeypatch
):
    row = queue()

    def killed(message, *args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(EmailMessage, "send", killed)
    with time_machine.travel(NOW, tick=False), pytest.raises(WorkerKilled):
        services.deliver(row.pk)
    monkeypatch.undo()

    row.refresh_from_db()
    assert (row.sent_at, row.claimed_until) == (None, NOW + settings.NOTIFICATION_LEASE)
    assert row.attempts == 1
    with time_machine.travel(row.claimed_until - dt.timedelta(seconds=1), tick=False):
        assert services.deliver_due().sent == 0
    with time_machine.travel(row.claimed_until, tick=False):
        assert services.deliver_due().sent == 1
        assert services.deliver_due().sent == 0

    row.refresh_from_db()
    assert (row.attempts, row.claimed_until) == (2, None)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_one_duplicate_a_crash_after_the_mail_server_can_cause_carries_the_same_message_id(
    settings, monkeypatch
):
    """At least once: a worker dying after the mail server took the email but before the
    row was marked sent makes the next worker send it again, under the same Message-ID."""
    row = queue()
    send = EmailMessage.send

    def sent_then_killed(message, *args, **kwargs):
        send(message, *args, **kwargs)
        raise WorkerKilled

    monkeypatch.setattr(EmailMessage, "send", sent_then_killed)
    with time_machine.travel(NOW, tick=False), pytest.raises(WorkerKilled):
        services.deliver(row.pk)
    monkeypatch.undo()
    with time_machine.travel(NOW + settings.NOTIFICATION_LEASE, tick=False):
        services.deliver_due()

    first, second = mail.outbox
    assert first.message()["Message-ID"] == second.message()["Message-ID"]
    assert first.message()["Message-ID"] == services.message_id(row)


@pytest.mark.django_db
def test_the_message_id_names_the_row_and_its_key_and_is_the_same_on_every_try(settings):
    settings.DEFAULT_FROM_EMAIL = "Riverbend <no-reply@riverbend.example>"
    row = queue(key="test:message-id")
    other = queue(key="test:another")

    services.deliver(row.pk)

    assert services.message_id(row) == services.message_id(Notification.objects.get(pk=row.pk))
    assert services.message_id(row) != services.message_id(other)
    assert services.message_id(row).startswith(f"<kapcare.{row.pk}.")
    assert services.message_id(row).endswith("@riverbend.example>")
    assert mail.outbox[0].message()["Message-ID"] == services.message_id(row)


@pytest.mark.django_db
def test_a_worker_dying_every_time_spends_its_tries_and_the_email_is_given_up(
    settings, monkeypatch
):
    row = queue()

    def killed(message, *args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(EmailMessage, "send", killed)
    moment = NOW
    for _ in range(services.MAX_ATTEMPTS + 1):
        with time_machine.travel(moment, tick=False), contextlib.suppress(WorkerKilled):
            services.deliver_due()
        moment += settings.NOTIFICATION_LEASE

    row.refresh_from_db()
    assert row.attempts == services.MAX_ATTEMPTS
    with time_machine.travel(moment, tick=False):
        assert list(services.given_up()) == [row]
