"""Calendar feeds: a therapist's, a patient's or a room's sessions as iCalendar (RFC 5545)
at a secret address a calendar application subscribes to.

The token in the address is the only credential a calendar application can send, so each
fetch is answered as the feed's owner and checked against the live policy, exactly as a
page would be: a deactivated account's feed answers 404, and a therapist's feed carries
only patients whose live authorisation names the `schedule` scope, so a revocation or an
expiry empties it on the next fetch. Each fetch is logged (a therapist's as a disclosure
of each patient shown).

What an event says is the minimum a calendar needs, because calendars are synced to
third-party services outside the clinic's control (HIPAA minimum necessary, 45 CFR
164.502(b)): initials and the kind of session, the clinic's name as the place. Never a
full name, a diagnosis or a note.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vDuration

from kapcare import policy
from kapcare.accounts.models import Role
from kapcare.audit.log import Actor, record_access, record_list_access
from kapcare.audit.models import AccessAction
from kapcare.consents.models import SharingAuthorization
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.policy import Action
from kapcare.scheduling.models import Appointment, AppointmentStatus, CalendarFeed, FeedOwner

PRODID = "-//kapcare//Calendar feed//EN"
UID_DOMAIN = "kapcare"

# How far back a feed reaches: the last month of sessions stays in the calendar, so that
# the recent course is in view; older sessions are in the record. Not a clinical number.
PAST_DAYS = 30

# How often calendar applications are asked to fetch again (RFC 7986 REFRESH-INTERVAL and
# Outlook's X-PUBLISHED-TTL), so that a revocation reaches the calendar within the hour.
REFRESH_INTERVAL = timedelta(hours=1)

# Sessions a feed carries: what is planned or happened, and cancellations, so that a
# subscribed calendar marks them cancelled. A missed session is not an appointment to keep.
SHOWN_SESSION_STATUSES = (
    SessionStatus.PLANNED,
    SessionStatus.IN_PROGRESS,
    SessionStatus.DONE,
    SessionStatus.CANCELLED,
)
SHOWN_APPOINTMENT_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED)

OWNER_KINDS = {Role.THERAPIST: FeedOwner.THERAPIST, Role.PATIENT: FeedOwner.PATIENT}


def new_token() -> str:
    """43 URL-safe characters, 256 bits from the operating system's random source."""
    return secrets.token_urlsafe(32)


def feed_for_user(user) -> CalendarFeed:
    """The therapist's or patient's own feed, made on first use."""
    feed, _ = CalendarFeed.objects.get_or_create(
        user=user, defaults={"owner_kind": OWNER_KINDS[user.role], "token": new_token()}
    )
    return feed


def feed_for_room(room) -> CalendarFeed:
    """The room's feed, made on first use."""
    feed, _ = CalendarFeed.objects.get_or_create(
        room=room, defaults={"owner_kind": FeedOwner.ROOM, "token": new_token()}
    )
    return feed


def regenerate(*, actor: Actor, feed: CalendarFeed) -> CalendarFeed:
    """Give the feed a new secret address; the old one answers 404 from now on. Logged
    as a change of the feed (under the patient's record for a patient's own feed)."""
    with transaction.atomic():
        feed.token = new_token()
        feed.regenerated_at = timezone.now()
        feed.save(update_fields=["token", "regenerated_at"])
        patient = None
        if feed.owner_kind == FeedOwner.PATIENT:
            patient = policy.visible_patients(feed.user).first()
        clinic_id = feed.room.clinic_id if feed.room_id is not None else None
        record_access(actor, AccessAction.UPDATE, patient=patient, obj=feed, clinic_id=clinic_id)
    return feed


def feed_url(request: HttpRequest, feed: CalendarFeed) -> str:
    """The feed's absolute address (https in production), for the pages and the API."""
    return request.build_absolute_uri(reverse("feeds:ics", args=[feed.token]))


def webcal_url(url: str) -> str:
    """The same address with the webcal scheme, which opens the subscription dialog of
    Apple Calendar and Outlook."""
    return "webcal://" + url.split("://", 1)[1]


# --- What a feed shows --------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEvent:
    """One event, already reduced to what a calendar may carry."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str = ""
    is_cancelled: bool = False


@dataclass(frozen=True)
class FeedContent:
    name: str
    events: list[FeedEvent]
    patients: list  # whose data the events show, for the access log


def initials(given_name: str, family_name: str) -> str:
    """“Jane Evans” → “J.E.”: enough for a therapist to recognise their patient in a
    calendar that is synced outside the clinic, not enough to name them."""
    names = (name.strip() for name in (given_name, family_name))
    return "".join(f"{name[0].upper()}." for name in names if name)


def _since():
    return timezone.now() - timedelta(days=PAST_DAYS)


def therapist_sessions(therapist, patients):
    """The sessions of `patients` that a therapist sees under the `schedule` scope: the
    dosing sessions (the scope the patient signed: “dates and times of dosing sessions”)
    and the sessions this therapist runs. `patients` must already be those the policy
    lets the therapist see with that scope."""
    return CareSession.objects.filter(
        Q(kind=SessionKind.DOSING) | Q(run_by_id=therapist.pk),
        patient__in=patients,
        status__in=SHOWN_SESSION_STATUSES,
        planned_end__gte=_since(),
    )


def schedule_patients(therapist):
    """Patients whose live authorisation to `therapist` names the scope the policy asks for
    `VIEW_SCHEDULE`, as a queryset (no query until used)."""
    scope = policy.THERAPIST_SCOPES[Action.VIEW_SCHEDULE]
    authorised = (
        SharingAuthorization.objects.live(timezone.now())
        .filter(therapist_id=therapist.pk)
        .with_scope(scope)
    )
    return policy.visible_patients(therapist).filter(pk__in=authorised.values("patient_id"))


def therapist_feed(therapist) -> FeedContent:
    """One query: the shared sessions of every patient who shares their schedule."""
    sessions = list(
        therapist_sessions(therapist, schedule_patients(therapist))
        .select_related("patient__clinic")
        .order_by("planned_start", "pk")
    )
    events = [
        FeedEvent(
            uid=_uid(session),
            starts_at=session.planned_start,
            ends_at=session.planned_end,
            summary=f"{initials(session.patient.given_name, session.patient.family_name)}"
            f" — {session.get_kind_display()}",
            location=session.patient.clinic.name if session.appointment_id else "",
            is_cancelled=session.status == SessionStatus.CANCELLED,
        )
        for session in sessions
    ]
    return FeedContent("kapcare: your patients' sessions", events, _distinct_patients(sessions))


def patient_feed(patient) -> FeedContent:
    """One query: the patient's own sessions."""
    sessions = (
        CareSession.objects.filter(
            patient_id=patient.pk,
            status__in=SHOWN_SESSION_STATUSES,
            planned_end__gte=_since(),
        )
        .only("external_id", "kind", "status", "planned_start", "planned_end", "appointment")
        .order_by("planned_start", "pk")
    )
    clinic = patient.clinic.name
    events = [
        FeedEvent(
            uid=_uid(session),
            starts_at=session.planned_start,
            ends_at=session.planned_end,
            summary=f"{session.get_kind_display()} — {clinic}"
            if session.appointment_id
            else session.get_kind_display(),
            location=clinic if session.appointment_id else "",
            is_cancelled=session.status == SessionStatus.CANCELLED,
        )
        for session in sessions
    ]
    return FeedContent(f"{clinic}: your sessions", events, [patient])


def room_feed(room) -> FeedContent:
    """One query: the room's appointments."""
    appointments = list(
        Appointment.objects.filter(
            room_id=room.pk,
            status__in=SHOWN_APPOINTMENT_STATUSES,
            ends_at__gte=_since(),
        )
        .select_related("patient")
        .order_by("starts_at", "pk")
    )
    place = f"{room.clinic.name}, {room.name}"
    events = [
        FeedEvent(
            uid=_uid(appointment),
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            summary=_room_summary(appointment),
            location=place,
            is_cancelled=appointment.status == AppointmentStatus.CANCELLED,
        )
        for appointment in appointments
    ]
    patients = _distinct_patients(a for a in appointments if a.patient_id is not None)
    return FeedContent(place, events, patients)


def _room_summary(appointment) -> str:
    if appointment.patient is None:
        return appointment.purpose
    patient = appointment.patient
    return f"{initials(patient.given_name, patient.family_name)} — {appointment.purpose}"


def _uid(record) -> str:
    return f"{record.external_id}@{UID_DOMAIN}"


def _distinct_patients(records: Iterable) -> list:
    seen: dict[int, object] = {}
    for record in records:
        seen.setdefault(record.patient_id, record.patient)
    return list(seen.values())


# --- The calendar -------------------------------------------------------------------------


def build_calendar(events: Iterable[FeedEvent], name: str) -> Calendar:
    """A VCALENDAR of `events`, times in UTC. A calendar with no events is still a
    calendar, so that a subscribed application empties its copy."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    stamp = timezone.now().astimezone(UTC)
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.starts_at.astimezone(UTC))
        event.add("dtend", item.ends_at.astimezone(UTC))
        event.add("summary", item.summary)
        if item.location:
            event.add("location", item.location)
        event.add("status", "CANCELLED" if item.is_cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar


# --- A fetch ------------------------------------------------------------------------------


def read_feed(token: str, *, ip_address: str | None) -> Calendar | None:
    """The calendar at `token`, read as its owner under the live policy and logged; None
    (answered 404) for an unknown token, or an owner the policy no longer lets in."""
    feed = CalendarFeed.objects.select_related("user", "room__clinic").filter(token=token).first()
    if feed is None:
        return None
    if feed.room_id is not None:
        content = room_feed(feed.room)
        # A room's address is held by whoever the clinic gave it to: no account to name.
        record_list_access(Actor(user=None, ip_address=ip_address), content.patients)
        return build_calendar(content.events, content.name)
    owner = feed.user
    if not policy.can(owner, Action.MANAGE_OWN_CALENDAR_FEED):
        return None
    actor = Actor(user=owner, ip_address=ip_address)
    if owner.role == Role.THERAPIST:
        content = therapist_feed(owner)
        record_list_access(actor, content.patients)  # a therapist's read: a disclosure
        return build_calendar(content.events, content.name)
    patient = policy.visible_patients(owner).select_related("clinic").first()
    if patient is None:
        return None
    content = patient_feed(patient)
    record_access(actor, AccessAction.VIEW, patient=patient)
    return build_calendar(content.events, content.name)
