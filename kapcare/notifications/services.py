"""Asking for an email: `notify` writes the outbox row in the caller's transaction and,
once that commits, enqueues its delivery (`deliver_notification`, a background task).
`deliver_due` is what the minute job runs (`tasks.minute_job`, or `manage.py
send_due_notifications` by hand): it sends whatever is due and has not gone, retries
included.

Every caller passes a `key` that names the event (e.g. ``reminder:<session>:<start>``):
asking twice for the same key is a no-op, so a retried request or a re-run job never
emails twice. Subjects and bodies carry no health information (see `models`).

Delivery is at least once, and in practice once: a row is claimed for `NOTIFICATION_LEASE`
by one conditional UPDATE (two workers never hold it at once), sent, then marked sent. A
worker that dies before the mail server accepted the email leaves the claim to expire and
the next run sends it; one that dies after the mail server accepted it but before marking
it sent causes the one duplicate at-least-once allows, carrying the same Message-ID
(`message_id`, from the row's key) so mail servers and clients can fold the two. A failed
send gives the claim back, with `attempts` and `last_error`, and the row waits a little
longer each time (`retry_delay`) until `MAX_ATTEMPTS`, when it is given up on and reported.

An email to an outside therapist about a patient is checked again when it is sent: if the
patient no longer shares that with them (revoked, expired, a scope withdrawn) or their
account is closed, it is cancelled with the reason instead."""

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr
from enum import Enum

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from kapcare import policy, queue
from kapcare.audit.log import record_system_disclosures
from kapcare.links import absolute_url
from kapcare.notifications.models import Notification, NotificationKind

logger = logging.getLogger(__name__)

# A link that opens an account, a questionnaire or a password reset is a credential: once
# sent (or given up on, or cancelled) it is not kept in the outbox.
SECRET_KINDS = frozenset(
    {
        NotificationKind.INVITATION,
        NotificationKind.QUESTIONNAIRE_LINK,
        NotificationKind.PASSWORD_RESET,
    }
)

# Ten tries, spaced by `retry_delay` (1, 2, 4 … 60 minutes), cover a mail server that is
# down for about four hours; a row still failing then has a bad address or a setting wrong,
# which another try will not mend: it stays in the outbox (admin) with its last error.
# A worker that dies while sending also spends a try, so an email that kills its worker
# every time is given up on too.
MAX_ATTEMPTS = 10
LONGEST_RETRY_DELAY = dt.timedelta(hours=1)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long a row waits after its `attempts`-th failed try: doubling from one minute
    (the minute job retries what is due), at most an hour."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), LONGEST_RETRY_DELAY)


def notify(
    *,
    key: str,
    kind: NotificationKind,
    to: str,
    subject: str,
    template: str,
    context: dict,
    due_at: dt.datetime | None = None,
    therapist=None,
    patient=None,
    therapist_action: policy.Action | None = None,
    clinic=None,
) -> Notification | None:
    """Queue one email (rendered now from `template`), once per `key`; returns the row,
    or None when that key was already queued. Call it inside the transaction of the
    change it announces: a rolled-back change sends nothing.

    An email to an outside `therapist` about `patient` names the policy action they
    must still be allowed (`therapist_action`) when it is sent. An email to a patient names
    their `clinic`: it goes with an HTML part showing the clinic's name and logo
    (`html_part`)."""
    if not to:
        return None
    if therapist_action and (therapist is None or patient is None):
        raise ValueError("An email checked against a therapist's authorisation names both.")
    now = timezone.now()
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=key[:200],
                kind=kind,
                to_email=to,
                subject=subject,
                body=render_to_string(template, context),
                due_at=due_at or now,
                created_at=now,
                therapist=therapist if therapist_action else None,
                patient=patient if therapist_action else None,
                therapist_action=therapist_action or "",
                clinic=clinic,
            )
    except IntegrityError:
        return None
    if notification.due_at <= now:
        queue.enqueue_on_commit(deliver_notification, notification.pk)
    return notification


def queue_many(notifications: Iterable[Notification]) -> int:
    """Queue many rows in one insert (the minute job's reminders and flags), skipping any
    whose key is already queued; returns how many are new. The caller builds unsaved rows
    and should leave out keys it already knows are queued, to save rendering them."""
    rows = {row.key: row for row in notifications}
    if not rows:
        return 0
    created_at = timezone.now()
    for row in rows.values():
        row.created_at = created_at
    Notification.objects.bulk_create(rows.values(), ignore_conflicts=True)
    # Rows another worker queued first keep their own `created_at`.
    return Notification.objects.filter(created_at=created_at, key__in=list(rows)).count()


def queued_keys(keys: Iterable[str]) -> set[str]:
    """Which of `keys` are already in the outbox (one query per thousand keys)."""
    keys = list(dict.fromkeys(keys))
    found: set[str] = set()
    for start in range(0, len(keys), 1000):
        found.update(
            Notification.objects.filter(key__in=keys[start : start + 1000]).values_list(
                "key", flat=True
            )
        )
    return found


def message_id(notification: Notification) -> str:
    """The email's Message-ID, the same on every try: made from the row's key (the dedupe
    key), so the rare duplicate that at-least-once delivery allows reaches the mailbox
    with the Message-ID of the first, which mail servers and clients fold into one."""
    digest = hashlib.sha256(notification.key.encode()).hexdigest()[:32]
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "kapcare.invalid"
    return f"<kapcare.{notification.pk}.{digest}@{domain}>"


def deliverable(now: dt.datetime) -> QuerySet[Notification]:
    """Rows a worker may claim at `now`: due, neither sent nor cancelled, not given up
    on, and not held by another worker (or held by one whose lease has ended)."""
    return Notification.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
        sent_at__isnull=True,
        cancelled_at__isnull=True,
        due_at__lte=now,
        attempts__lt=MAX_ATTEMPTS,
    )


class Outcome(Enum):
    SENT = "sent"
    FAILED = "failed"  # kept for a later run
    GIVEN_UP = "given up"  # failed for the MAX_ATTEMPTS-th time
    CANCELLED = "cancelled"  # the therapist may no longer be told
    NOT_CLAIMED = "not claimed"  # sent or cancelled already, held by another worker, or not due


def deliver(pk: int, now: dt.datetime | None = None) -> bool:
    """Send one queued email unless someone else already has. True when this call sent it."""
    return attempt_delivery(pk, now) is Outcome.SENT


def attempt_delivery(pk: int, now: dt.datetime | None = None) -> Outcome:
    """Claim the row for `NOTIFICATION_LEASE` by one conditional UPDATE (of two workers
    only one succeeds; a try is counted now, so a worker that dies still spends it),
    re-check a therapist's authorisation, send, and record the outcome. A failed send
    gives the claim back and puts the row off by `retry_delay`."""
    now = now or timezone.now()
    lease_ends = now + settings.NOTIFICATION_LEASE
    claimed = (
        deliverable(now).filter(pk=pk).update(claimed_until=lease_ends, attempts=F("attempts") + 1)
    )
    if not claimed:
        return Outcome.NOT_CLAIMED
    notification = Notification.objects.select_related("therapist", "patient", "clinic").get(pk=pk)
    held = Notification.objects.filter(pk=pk, claimed_until=lease_ends)
    reason = cancellation_reason(notification)
    if reason:
        held.update(
            cancelled_at=timezone.now(),
            cancel_reason=reason[:300],
            claimed_until=None,
            **_wiped(notification),
        )
        logger.info("Email %s (%s) cancelled: %s", pk, notification.kind, reason)
        return Outcome.CANCELLED
    try:
        email = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.to_email],
            headers={"Message-ID": message_id(notification)},
        )
        if notification.clinic is not None:
            email.attach_alternative(html_part(notification), "text/html")
        email.send()
    except Exception as error:  # any mail failure: kept for the next run
        return _record_failure(notification, held, error, now)
    with transaction.atomic():
        Notification.objects.filter(pk=pk, sent_at__isnull=True).update(
            sent_at=timezone.now(), claimed_until=None, last_error="", **_wiped(notification)
        )
        if notification.disclosed_object_type and notification.patient_id:
            record_system_disclosures(
                [(notification.patient, notification.disclosed_object_id)],
                object_type=notification.disclosed_object_type,
            )
    return Outcome.SENT


def html_part(notification: Notification) -> str:
    """The HTML alternative of an email to a patient: the same words as its text (links
    made clickable), under the clinic's name and, when it has one, its logo — an image at
    the site's address (`links.absolute_url`), which the clinic serves to anyone (it names
    no patient). Nothing but the text part's words: no health information is added."""
    clinic = notification.clinic
    logo_url = absolute_url(reverse("clinic_logo:image", args=[clinic.slug])) if clinic.logo else ""
    return render_to_string(
        "notifications/email/base.html",
        {
            "clinic": clinic,
            "logo_url": logo_url,
            "subject": notification.subject,
            "body": notification.body,
        },
    )


def cancellation_reason(notification: Notification) -> str:
    """Why an email to an outside therapist may no longer go ("" when it may): read now,
    through the policy, as their next request would be."""
    if not notification.therapist_action:
        return ""
    therapist = notification.therapist
    if not therapist.is_active:
        return "The therapist's account is closed."
    try:
        action = policy.Action(notification.therapist_action)
    except ValueError:
        return f"Unknown action {notification.therapist_action!r}: not sent."
    if policy.can(therapist, action, notification.patient):
        return ""
    scope = policy.THERAPIST_SCOPES.get(action)
    shared = f"“{scope.label}”" if scope else "their record"
    return (
        f"The patient no longer shares {shared} with this therapist "
        "(authorisation revoked, expired or narrowed) when the email was to be sent."
    )


def _wiped(notification: Notification) -> dict:
    return {"body": ""} if notification.kind in SECRET_KINDS else {}


def _record_failure(notification, held, error, now) -> Outcome:
    attempts = notification.attempts
    held.update(
        claimed_until=None,
        last_error=f"{type(error).__name__}: {error}"[:1000],
        due_at=now + retry_delay(attempts),
        **(_wiped(notification) if attempts >= MAX_ATTEMPTS else {}),
    )
    if attempts >= MAX_ATTEMPTS:
        logger.error(
            "Email %s (%s) given up after %s attempts: %s",
            notification.pk,
            notification.kind,
            attempts,
            error,
        )
        return Outcome.GIVEN_UP
    logger.warning("Email %s not sent (attempt %s): %s", notification.pk, attempts, error)
    return Outcome.FAILED


class DeliveryFailed(Exception):
    """Raised by the delivery task after a failed try, so the task's result shows the
    error (admin: Task results); the row itself waits for the minute job's retry."""


@task()
def deliver_notification(notification_id: int) -> str:
    """The background task that sends one outbox row (enqueued on commit by `notify`).
    Safe to run twice, or for a row already sent: the claim decides."""
    outcome = attempt_delivery(notification_id)
    if outcome in (Outcome.FAILED, Outcome.GIVEN_UP):
        error = Notification.objects.filter(pk=notification_id).values_list("last_error", flat=True)
        raise DeliveryFailed(f"Email {notification_id} {outcome.value}: {error.first()}")
    return outcome.value


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    given_up: list[int] = field(default_factory=list)  # ids of rows given up on this run

    def count(self, pk: int, outcome: Outcome) -> None:
        if outcome is Outcome.SENT:
            self.sent += 1
        elif outcome is Outcome.FAILED:
            self.failed += 1
        elif outcome is Outcome.CANCELLED:
            self.cancelled += 1
        elif outcome is Outcome.GIVEN_UP:
            self.failed += 1
            self.given_up.append(pk)


def deliver_due(now: dt.datetime | None = None) -> DeliveryReport:
    """Send every queued email that is due and not given up on (retries, rows whose
    worker died, rows whose task was lost); says how many were sent, failed, cancelled,
    and which were given up on."""
    now = now or timezone.now()
    report = DeliveryReport()
    for pk in list(deliverable(now).values_list("pk", flat=True)):
        report.count(pk, attempt_delivery(pk, now))
    return report


def given_up(now: dt.datetime | None = None) -> QuerySet[Notification]:
    """Rows no run will try again: each needs a person (a wrong address, a mail setting)."""
    now = now or timezone.now()
    return Notification.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
        sent_at__isnull=True,
        cancelled_at__isnull=True,
        attempts__gte=MAX_ATTEMPTS,
    )
