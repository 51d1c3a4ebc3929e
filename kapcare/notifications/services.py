"""Asking for an email: `notify` writes the outbox row in the caller's transaction and,
once that commits, delivers it if it is due. `deliver_due` is what the minute job runs
(`manage.py send_due_notifications`); it also sends what an earlier attempt failed to.

Every caller passes a `key` that names the event (e.g. ``reminder:<session>:<start>``):
asking twice for the same key is a no-op, so a retried request or a re-run job never
emails twice. Subjects and bodies carry no health information (see `models`).

Delivery is at most once: a row is claimed (its `sent_at` set) by one conditional UPDATE
before the mail server is asked, so two workers never send it twice; a failed send gives
the claim back with `attempts` and `last_error`, and the row waits a little longer each
time (`retry_delay`) until `MAX_ATTEMPTS`, when it is given up on and reported."""

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from kapcare.notifications.models import Notification, NotificationKind

logger = logging.getLogger(__name__)

# A link that opens an account or a questionnaire is a credential: once sent it is not
# kept in the outbox.
SECRET_KINDS = frozenset({NotificationKind.INVITATION, NotificationKind.QUESTIONNAIRE_LINK})

# Ten tries, spaced by `retry_delay` (1, 2, 4 … 60 minutes), cover a mail server that is
# down for about four hours; a row still failing then has a bad address or a setting wrong,
# which another try will not mend: it stays in the outbox (admin) with its last error.
MAX_ATTEMPTS = 10
LONGEST_RETRY_DELAY = dt.timedelta(hours=1)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long a row waits after its `attempts`-th failed try: doubling from one minute
    (the job runs every minute), at most an hour."""
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
) -> Notification | None:
    """Queue one email (rendered now from `template`), once per `key`; returns the row,
    or None when that key was already queued. Call it inside the transaction of the
    change it announces: a rolled-back change sends nothing."""
    if not to:
        return None
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
            )
    except IntegrityError:
        return None
    if notification.due_at <= now:
        transaction.on_commit(lambda: deliver(notification.pk))
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


class Outcome(Enum):
    SENT = "sent"
    FAILED = "failed"  # kept for a later run
    GIVEN_UP = "given up"  # failed for the MAX_ATTEMPTS-th time
    NOT_CLAIMED = "not claimed"  # sent already, claimed by another worker, or not due


def deliver(pk: int, now: dt.datetime | None = None) -> bool:
    """Send one queued email unless someone else already has. True when this call sent it."""
    return attempt_delivery(pk, now) is Outcome.SENT


def attempt_delivery(pk: int, now: dt.datetime | None = None) -> Outcome:
    """Claim the row by one conditional UPDATE (`sent_at` from empty to now; of two workers
    only one succeeds), send it, and record the outcome. A failed send gives the claim back
    and puts the row off by `retry_delay`."""
    now = now or timezone.now()
    claimed = Notification.objects.filter(
        pk=pk, sent_at__isnull=True, due_at__lte=now, attempts__lt=MAX_ATTEMPTS
    ).update(sent_at=now)
    if not claimed:
        return Outcome.NOT_CLAIMED
    notification = Notification.objects.get(pk=pk)
    attempts = notification.attempts + 1
    try:
        send_mail(
            subject=notification.subject,
            message=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notification.to_email],
        )
    except Exception as error:  # any mail failure: kept for the next run
        Notification.objects.filter(pk=pk).update(
            sent_at=None,
            attempts=F("attempts") + 1,
            last_error=f"{type(error).__name__}: {error}"[:1000],
            due_at=now + retry_delay(attempts),
        )
        if attempts >= MAX_ATTEMPTS:
            # Given up: a link that is a credential is not kept in the outbox either.
            if notification.kind in SECRET_KINDS:
                Notification.objects.filter(pk=pk).update(body="")
            logger.error(
                "Email %s (%s) given up after %s attempts: %s",
                pk,
                notification.kind,
                attempts,
                error,
            )
            return Outcome.GIVEN_UP
        logger.warning("Email %s not sent (attempt %s): %s", pk, attempts, error)
        return Outcome.FAILED
    changes = {"attempts": F("attempts") + 1, "last_error": ""}
    if notification.kind in SECRET_KINDS:
        changes["body"] = ""
    Notification.objects.filter(pk=pk).update(**changes)
    return Outcome.SENT


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    given_up: list[int] = field(default_factory=list)  # ids of rows given up on this run

    def count(self, pk: int, outcome: Outcome) -> None:
        if outcome is Outcome.SENT:
            self.sent += 1
        elif outcome is Outcome.FAILED:
            self.failed += 1
        elif outcome is Outcome.GIVEN_UP:
            self.failed += 1
            self.given_up.append(pk)


def deliver_due(now: dt.datetime | None = None) -> DeliveryReport:
    """Send every queued email that is due and not given up on; says how many were sent,
    how many failed, and which were given up on."""
    now = now or timezone.now()
    due = Notification.objects.filter(
        sent_at__isnull=True, due_at__lte=now, attempts__lt=MAX_ATTEMPTS
    ).values_list("pk", flat=True)
    report = DeliveryReport()
    for pk in list(due):
        report.count(pk, attempt_delivery(pk, now))
    return report


def given_up() -> QuerySet[Notification]:
    """Rows no run will try again: each needs a person (a wrong address, a mail setting)."""
    return Notification.objects.filter(sent_at__isnull=True, attempts__gte=MAX_ATTEMPTS)
