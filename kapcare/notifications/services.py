"""Asking for an email: `notify` writes the outbox row in the caller's transaction and,
once that commits, delivers it if it is due. `deliver_due` is what the minute job runs
(`manage.py send_due_notifications`); it also sends what an earlier attempt failed to.

Every caller passes a `key` that names the event (e.g. ``reminder:<session>:<start>``):
asking twice for the same key is a no-op, so a retried request or a re-run job never
emails twice. Subjects and bodies carry no health information (see `models`)."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from kapcare.notifications.models import Notification, NotificationKind

logger = logging.getLogger(__name__)

# A link that opens an account or a questionnaire is a credential: once sent it is not
# kept in the outbox.
SECRET_KINDS = frozenset({NotificationKind.INVITATION, NotificationKind.QUESTIONNAIRE_LINK})


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


def deliver(pk: int, now: dt.datetime | None = None) -> bool:
    """Send one queued email unless someone else already has: the row is claimed by one
    conditional UPDATE (`sent_at` from empty to now), so of two workers only one sends.
    A failed send gives the claim back, for the next run. True when this call sent it."""
    now = now or timezone.now()
    claimed = Notification.objects.filter(pk=pk, sent_at__isnull=True, due_at__lte=now).update(
        sent_at=now
    )
    if not claimed:
        return False
    notification = Notification.objects.get(pk=pk)
    try:
        send_mail(
            subject=notification.subject,
            message=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notification.to_email],
        )
    except Exception as error:  # any mail failure: kept for the next run
        logger.warning("Email %s not sent: %s", notification.pk, error)
        Notification.objects.filter(pk=pk).update(
            sent_at=None, attempts=notification.attempts + 1, last_error=str(error)[:1000]
        )
        return False
    changes = {"attempts": notification.attempts + 1, "last_error": ""}
    if notification.kind in SECRET_KINDS:
        changes["body"] = ""
    Notification.objects.filter(pk=pk).update(**changes)
    return True


def deliver_due(now: dt.datetime | None = None) -> int:
    """Send every queued email that is due; returns how many were sent."""
    now = now or timezone.now()
    due = Notification.objects.filter(sent_at__isnull=True, due_at__lte=now).values_list(
        "pk", flat=True
    )
    return sum(deliver(pk, now) for pk in list(due))
