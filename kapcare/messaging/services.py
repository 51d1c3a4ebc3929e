"""Secure messages: start a thread, post in it, read it, count what is unread.

Who may write where is the policy's (`VIEW_MESSAGES`/`SEND_MESSAGE` on the thread: staff
of the patient's clinic, the thread's own therapist under a live authorisation, the
patient in their own clinic–patient threads). One rule is the thread's own: a
clinic–therapist thread takes a new message only while that therapist holds a live
sharing authorisation from the patient (any scope), whoever writes it. The old messages
stay readable to the clinic: they are part of the record.

Every write logs its row in its own transaction and asks for the email to the other side
through the outbox (sent on commit). The email names the clinic and links to the thread:
no patient name, no message text (minimum necessary, 45 CFR 164.502(b)).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone

from kapcare import policy
from kapcare.accounts.models import STAFF_ROLES, Role
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.consents.models import SharingAuthorization
from kapcare.links import absolute_url
from kapcare.messaging.models import Message, Thread, ThreadKind, ThreadReadMark
from kapcare.notifications.models import NotificationKind
from kapcare.notifications.services import notify
from kapcare.pagination import keyset_page
from kapcare.policy import Action
from kapcare.refusals import Refused

MAX_BODY = 5000
MAX_SUBJECT = Thread._meta.get_field("subject").max_length
EMAIL_TEMPLATE = "messaging/email/message_received.txt"
# Before any message: a thread never read counts every message by others as unread.
NEVER_READ = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# The latest messages a thread's page shows; an "Earlier messages" link leads to the rest.
MESSAGES_SHOWN = 50


@dataclass(frozen=True)
class UnreadCounts:
    total: int = 0
    by_thread: dict[int, int] = field(default_factory=dict)


# --- Who may write -------------------------------------------------------------------------


def therapist_is_authorised(therapist_id: int | None, patient_id: int) -> bool:
    """Does the therapist hold a live sharing authorisation (any scope) from the patient,
    now? One query."""
    if therapist_id is None:
        return False
    return (
        SharingAuthorization.objects.live(timezone.now())
        .filter(therapist_id=therapist_id, patient_id=patient_id)
        .exists()
    )


def _not_authorised(thread: Thread) -> str:
    return (
        f"{thread.therapist.full_name} no longer holds a live sharing authorisation from "
        "this patient, so nothing more can be sent in this thread. What was written stays "
        "in the record."
    )


def _text_problems(body: str, subject: str | None = None) -> dict[str, str]:
    problems = {}
    if subject is not None:
        if not subject:
            problems["subject"] = "Give the thread a subject."
        elif len(subject) > MAX_SUBJECT:
            problems["subject"] = f"Keep the subject to {MAX_SUBJECT} characters."
    if not body:
        problems["body"] = "Write a message."
    elif len(body) > MAX_BODY:
        problems["body"] = (
            f"Keep a message to {MAX_BODY} characters (this one has {len(body)}); "
            "send the rest in a second message."
        )
    return problems


def _may_write(user, thread: Thread) -> dict[str, str]:
    """What stops `user` writing in `thread` now, by field (nothing: may write)."""
    if not policy.can(user, Action.SEND_MESSAGE, thread):
        return {"__all__": "You cannot write in this thread."}
    if thread.kind == ThreadKind.THERAPIST and not therapist_is_authorised(
        thread.therapist_id, thread.patient_id
    ):
        return {"therapist": _not_authorised(thread)}
    return {}


def can_reply(user, thread: Thread) -> bool:
    """Would a reply from `user` be accepted now (the page shows the form only then)?"""
    return not _may_write(user, thread)


# --- Writes ----------------------------------------------------------------------------------


def start_thread(
    *,
    actor: Actor,
    patient,
    kind: str,
    therapist=None,
    subject: str,
    body: str,
) -> Thread:
    """Open a thread about `patient` with its first message. A therapist writes to the
    clinic (the thread is theirs), a patient to their clinic, staff to either side.
    Refused (by field) when the policy or the authorisation does not allow it."""
    user = actor.user
    subject, body = (subject or "").strip(), (body or "").strip()
    if user.role == Role.THERAPIST:
        if kind != ThreadKind.THERAPIST or (therapist is not None and therapist.pk != user.pk):
            raise Refused({"__all__": "A therapist writes to the clinic in their own thread."})
        therapist = user
    if kind == ThreadKind.THERAPIST and therapist is None:
        raise Refused({"therapist": "Choose the therapist to write to."})
    if kind == ThreadKind.PATIENT:
        therapist = None
    thread = Thread(
        clinic=patient.clinic,
        patient=patient,
        kind=kind,
        therapist=therapist,
        subject=subject,
        created_by=user,
    )
    problems = _text_problems(body, subject) | _may_write(user, thread)
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        now = timezone.now()
        thread.created_at = thread.last_message_at = now
        thread.awaits_clinic = awaits_clinic_after(user)
        thread.save()
        message = Message.objects.create(thread=thread, author=user, body=body, created_at=now)
        record_access(actor, AccessAction.CREATE, patient=patient, obj=thread)
        record_access(actor, AccessAction.CREATE, patient=patient, obj=message)
        _mark_read(user, thread, now)
        _notify_other_side(thread, message)
    return thread


def awaits_clinic_after(author) -> bool:
    """Whether a thread waits for the clinic once `author` has written in it: a message
    from the patient or the therapist does, one from anyone at the clinic answers it."""
    return author.role not in STAFF_ROLES


def post_message(*, actor: Actor, thread: Thread, body: str) -> Message:
    """Add a message to `thread`, if `actor` may write there now (for a clinic–therapist
    thread: while the therapist's authorisation is live)."""
    user = actor.user
    body = (body or "").strip()
    problems = _text_problems(body)
    if not problems:
        problems = {
            ("body" if name == "therapist" else name): text
            for name, text in _may_write(user, thread).items()
        }
    if problems:
        raise Refused(problems)
    with transaction.atomic():
        locked = Thread.objects.select_for_update().get(pk=thread.pk)
        now = max(timezone.now(), locked.last_message_at)
        message = Message.objects.create(thread=locked, author=user, body=body, created_at=now)
        Thread.objects.filter(pk=locked.pk).update(
            last_message_at=now, awaits_clinic=awaits_clinic_after(user)
        )
        record_access(actor, AccessAction.CREATE, patient=thread.patient, obj=message)
        _mark_read(user, thread, now)
        _notify_other_side(thread, message)
    return message


def read_thread(
    *, actor: Actor, thread: Thread, cursor: str | None = None, size: int = MESSAGES_SHOWN
) -> tuple[list[Message], str | None]:
    """The thread's latest `size` messages (before `cursor`, an "Earlier messages" link's,
    when given), oldest first, with their authors, and the cursor of the earlier ones when
    there are; the read is logged and the thread marked read up to the last message shown
    (a mark never moves back), in one transaction (three queries and the mark's)."""
    with transaction.atomic():
        newest_first, earlier = keyset_page(
            Message.objects.filter(thread_id=thread.pk).select_related("author"),
            cursor,
            by="created_at",
            size=size,
        )
        messages = newest_first[::-1]
        record_access(actor, AccessAction.VIEW, patient=thread.patient, obj=thread)
        if messages:
            _mark_read(actor.user, thread, messages[-1].created_at)
    return messages, earlier


def mark_read(user, thread: Thread) -> None:
    """`user` has read `thread` up to its latest message."""
    latest = (
        Message.objects.filter(thread_id=thread.pk)
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    if latest is not None:
        _mark_read(user, thread, latest)


def _mark_read(user, thread: Thread, up_to: dt.datetime) -> None:
    """Move the user's mark forward to `up_to` (never back)."""
    moved = ThreadReadMark.objects.filter(thread_id=thread.pk, user_id=user.pk).update(
        last_read_at=Greatest(F("last_read_at"), Value(up_to, output_field=DateTimeField()))
    )
    if moved:
        return
    try:
        with transaction.atomic():
            ThreadReadMark.objects.create(thread=thread, user=user, last_read_at=up_to)
    except IntegrityError:  # read at the same moment elsewhere: move that mark instead
        _mark_read(user, thread, up_to)


# --- Reads -----------------------------------------------------------------------------------


def visible_threads(user) -> QuerySet[Thread]:
    """The threads `user` may read: staff, their clinic's; a therapist, their own about
    patients who authorise them now; a patient, their own with the clinic."""
    if not policy.can(user, Action.VIEW_MESSAGES):
        return Thread.objects.none()
    threads = Thread.objects.filter(patient__in=policy.visible_patients(user))
    if user.role in policy.STAFF:
        return threads.filter(clinic_id=user.clinic_id)
    if user.role == Role.THERAPIST:
        return threads.filter(kind=ThreadKind.THERAPIST, therapist_id=user.pk)
    if user.role == Role.PATIENT:
        return threads.filter(kind=ThreadKind.PATIENT)
    return Thread.objects.none()


def with_unread(threads: QuerySet[Thread], user) -> QuerySet[Thread]:
    """`threads`, each annotated with `unread`: the messages by others after `user`'s mark
    (a subquery, so no query per row).

    For the clinic's staff the clinic is one side: a colleague's message is not unread, and
    a message the clinic has answered (anyone at the clinic wrote after it) is handled."""
    mark = ThreadReadMark.objects.filter(thread_id=OuterRef(OuterRef("pk")), user_id=user.pk)
    seen = Coalesce(
        Subquery(mark.values("last_read_at")[:1]), Value(NEVER_READ, output_field=DateTimeField())
    )
    messages = Message.objects.filter(thread_id=OuterRef("pk")).exclude(author_id=user.pk)
    if user.role in STAFF_ROLES:
        # Read once per thread (not once per message), so the count reads only the
        # messages after it.
        answered = (
            Message.objects.filter(
                thread_id=OuterRef(OuterRef("pk")), author__role__in=list(STAFF_ROLES)
            )
            .order_by("-created_at")
            .values("created_at")[:1]
        )
        messages = messages.exclude(author__role__in=list(STAFF_ROLES))
        seen = Greatest(
            seen, Coalesce(Subquery(answered), Value(NEVER_READ, output_field=DateTimeField()))
        )
    unread = (
        messages.filter(created_at__gt=seen)
        .order_by()
        .values("thread_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    counted = Coalesce(Subquery(unread, output_field=IntegerField()), 0)
    if user.role in STAFF_ROLES:
        # A thread the clinic has answered last holds nothing unread for its staff: its
        # messages are not read to count none (`Thread.awaits_clinic`, kept with each one).
        counted = Case(When(awaits_clinic=False, then=Value(0)), default=counted)
    return threads.annotate(unread=counted)


def unread_counts(user) -> UnreadCounts:
    """The unread messages of every thread `user` may read, and their total, in one query.

    For the clinic's staff only threads the clinic has not answered can hold unread
    messages (`with_unread`), so only those are counted, through the index that holds
    them: the count costs what the clinic's open correspondence is, not its history."""
    if user is None or not user.is_authenticated:
        return UnreadCounts()
    threads = visible_threads(user)
    if user.role in STAFF_ROLES:
        threads = threads.filter(awaits_clinic=True)
    rows = with_unread(threads, user).filter(unread__gt=0).order_by().values_list("pk", "unread")
    by_thread = dict(rows)
    return UnreadCounts(total=sum(by_thread.values()), by_thread=by_thread)


# The menu counts unread messages up to this many, then says "99+".
MENU_COUNT_CAP = 99


def menu_unread(user) -> int:
    """The unread messages the menu shows, at most `MENU_COUNT_CAP` + 1 (more than the
    cap: the menu says so without counting on). One query, bounded whatever the clinic
    holds: it reads the unread counts of at most `MENU_COUNT_CAP` + 1 threads holding
    unread messages, the latest first (for the clinic's staff, through the index of the
    threads it has not answered), and stops there."""
    if user is None or not user.is_authenticated:
        return 0
    threads = visible_threads(user)
    if user.role in STAFF_ROLES:
        threads = threads.filter(awaits_clinic=True)
    counts = (
        with_unread(threads, user)
        .filter(unread__gt=0)
        .order_by("-last_message_at", "-id")
        .values_list("unread", flat=True)[: MENU_COUNT_CAP + 1]
    )
    return min(sum(counts), MENU_COUNT_CAP + 1)


def threads_for_list(user, patient=None) -> QuerySet[Thread]:
    """The threads `user` may read (about `patient` only, when given), newest first, with
    what a list shows (patient, therapist, unread)."""
    threads = visible_threads(user)
    if patient is not None:
        threads = threads.filter(patient_id=patient.pk)
    return (
        with_unread(threads, user)
        .select_related("patient", "therapist", "clinic")
        .order_by("-last_message_at", "-id")
    )


# --- Email -----------------------------------------------------------------------------------


def recipients(thread: Thread, author) -> list[str]:
    """Who is told of a new message: the other side. From the clinic, the therapist or
    the patient's portal account (nobody when the patient has none); to the clinic, its
    front-desk address (nobody when the clinic has none)."""
    if author.role in policy.STAFF:
        if thread.kind == ThreadKind.THERAPIST:
            return [thread.therapist.email] if thread.therapist.is_active else []
        account = thread.patient.user
        return [account.email] if account is not None and account.is_active else []
    return [thread.clinic.email] if thread.clinic.email else []


def _notify_other_side(thread: Thread, message: Message) -> None:
    clinic = thread.clinic
    link = absolute_url(reverse("messaging:thread", args=[thread.external_id]))
    for recipient in recipients(thread, message.author):
        # To the thread's therapist: sent only while the patient still authorises them.
        to_therapist = thread.kind == ThreadKind.THERAPIST and recipient == thread.therapist.email
        to_patient = thread.kind != ThreadKind.THERAPIST and message.author.role in policy.STAFF
        notify(
            key=f"message:{message.external_id}:{recipient}",
            kind=NotificationKind.MESSAGE_RECEIVED,
            to=recipient,
            subject=f"New secure message from {clinic.name}",
            template=EMAIL_TEMPLATE,
            context={"clinic": clinic, "link": link},
            therapist=thread.therapist if to_therapist else None,
            patient=thread.patient,
            therapist_action=policy.Action.VIEW_MESSAGES if to_therapist else None,
            # To the patient (a staff member wrote in the patient's thread): the clinic's
            # name and logo with it.
            clinic=clinic if to_patient else None,
        )
