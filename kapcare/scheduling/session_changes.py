"""Rescheduling, cancelling and recording a no-show for a booked session: the one place that
does it, for the calendar's pages and the API alike.

- `reschedule` moves a planned session (and, if asked, the series' later sessions by as
  much) with the checks booking makes — no double booking, the clinician's working hours
  and time off (`scheduling.services.move`), the minimum interval between doses (gate 7)
  — all or nothing.
- `cancel` records why (the patient, the clinic, a late cancellation: `change_rules`) and
  frees the slot at once; `no_show` marks the session missed and frees the slot too.

Each change is a `SessionChange` row (who, when, what it was, why), an access-log row per
record written, and emails to the patient and, while the patient shares their schedule
with them, the episode's therapist (the notifications outbox, in the same transaction).
Calendar feeds read the sessions when fetched, so they show the change at the next fetch.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.episodes import services as episodes
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.notifications.models import NotificationKind
from kapcare.notifications.services import notify
from kapcare.policy import Action
from kapcare.refusals import Refused
from kapcare.scheduling import change_rules, feeds
from kapcare.scheduling import services as scheduling
from kapcare.scheduling.models import (
    AppointmentStatus,
    CancelReason,
    ChangeKind,
    Room,
    SessionChange,
)


class NotNow(Refused):
    """The session cannot be changed in its state (done, cancelled, under way): a conflict
    with the state of the world, which the API answers 409."""

    def __init__(self, message: str):
        super().__init__({"__all__": message})


# The longest note a cancellation or a no-show takes (forms and API).
NOTE_MAX_CHARS = 1000

# Statuses of the patient's doses that the minimum interval counts from.
COUNTED_DOSE_STATUSES = (SessionStatus.PLANNED, SessionStatus.IN_PROGRESS, SessionStatus.DONE)


@dataclass(frozen=True)
class Move:
    """Where the session goes: a new start, and a room or clinician when they change
    (None keeps the one it has). `move_later`: the episode's later planned sessions move
    by as much."""

    starts_at: datetime
    room: Room | None = None
    clinician: object | None = None
    move_later: bool = False


def _locked(session: CareSession) -> CareSession:
    return (
        CareSession.objects.select_for_update(of=("self",))
        .select_related(
            "episode__clinic",
            "episode__therapist",
            "patient__user",
            "appointment__room",
            "appointment__clinician",
        )
        .get(pk=session.pk)
    )


def _must_be_planned(session: CareSession) -> None:
    if session.status != SessionStatus.PLANNED:
        raise NotNow(
            f"This {session.get_kind_display().lower()} is "
            f"{session.get_status_display().lower()}: only a planned session can be changed."
        )


def _must_not_be_checked_in(session: CareSession, what: str) -> None:
    """A patient checked in is at the clinic: their session is not moved away from them
    nor missed (it may still be cancelled, with a reason)."""
    if session.checked_in_at is not None:
        raise NotNow(
            f"The patient has checked in for this {session.get_kind_display().lower()}: it "
            f"cannot be {what}. Cancel it with a reason if it is not going ahead."
        )


def later_sessions(session: CareSession) -> list[CareSession]:
    """The episode's planned sessions after `session`, in time order (what “move the
    series along” moves)."""
    return list(
        CareSession.objects.select_for_update(of=("self",))
        .select_related("appointment__room", "appointment__clinician")
        .filter(
            episode_id=session.episode_id,
            status=SessionStatus.PLANNED,
            planned_start__gt=session.planned_start,
        )
        .exclude(pk=session.pk)
        .order_by("planned_start", "id")
    )


def _check_dose_interval(clinic, session, moving: list[tuple[CareSession, datetime]]) -> None:
    """Gate 7 on the new times: each moved dose at least the minimum from the patient's
    other doses (of any episode) and from the other moved doses."""
    moved = [start for moved_session, start in moving if moved_session.kind == SessionKind.DOSING]
    if not moved:
        return
    others = (
        CareSession.objects.filter(
            patient_id=session.patient_id,
            kind=SessionKind.DOSING,
            status__in=COUNTED_DOSE_STATUSES,
        )
        .exclude(pk__in=[s.pk for s, _ in moving])
        .values_list("started_at", "planned_start")
    )
    fixed = [started or planned for started, planned in others]
    minimum = clinic.minimum_dose_interval_hours
    clash = change_rules.dose_interval_problem(moved, fixed, minimum)
    if clash is None:
        return
    _, other = clash
    when = timezone.localtime(other, clinic.zone)
    raise Refused(
        {
            "starts_at": f"Doses are at least {change_rules.hours_in_words(minimum)} apart "
            f"(gate 7); this is too close to the dose of {when:%a %b} {when.day}, "
            f"{when:%H:%M}."
        }
    )


def _move_one(actor: Actor, session: CareSession, starts_at: datetime, move: Move | None):
    """Move one session (its appointment through `scheduling.move`, which checks the slot)
    and record the change. `move` names a new room or clinician for the session asked for;
    the series' later sessions keep theirs."""
    length = session.planned_end - session.planned_start
    appointment = session.appointment
    before = (session.planned_start, appointment.room if appointment else None)
    old_clinician = appointment.clinician if appointment else None
    if appointment is not None:
        room = (move.room if move else None) or appointment.room
        clinician = (move.clinician if move else None) or appointment.clinician
        scheduling.move(
            actor=actor,
            appointment=appointment,
            slot=scheduling.Slot(starts_at, starts_at + length, room, clinician),
        )
        if session.run_by_id is not None and session.run_by_id == getattr(old_clinician, "pk", 0):
            session.run_by = clinician
    session.planned_start, session.planned_end = starts_at, starts_at + length
    session.save(update_fields=["planned_start", "planned_end", "run_by"])
    record_access(actor, AccessAction.UPDATE, patient=session.patient, obj=session)
    return SessionChange.objects.create(
        clinic_id=session.episode.clinic_id,
        session=session,
        patient_id=session.patient_id,
        kind=ChangeKind.RESCHEDULED,
        from_start=before[0],
        to_start=starts_at,
        from_room=before[1],
        to_room=appointment.room if appointment else None,
        from_clinician=old_clinician,
        to_clinician=appointment.clinician if appointment else None,
        changed_by=actor.user,
        changed_at=timezone.now(),
    )


def _labelled(session: CareSession, refusal: Refused, zone) -> Refused:
    """A later session's refusal, said of that session, at the top of the form (the
    fields on screen are the first session's)."""
    when = timezone.localtime(session.planned_start, zone)
    prefix = f"{session.get_kind_display()} of {when:%a %b} {when.day}, {when:%H:%M}: "
    message = prefix + " ".join(refusal.problems.values())
    if isinstance(refusal, scheduling.DoubleBooking):
        return scheduling.DoubleBooking(message)
    return Refused({"__all__": message})


def reschedule(*, actor: Actor, session: CareSession, move: Move) -> list[CareSession]:
    """Move a planned session, and its series' later sessions when `move.move_later`, or
    refuse with the problem named; nothing moves unless everything can. Returns the
    sessions moved, the one asked for first."""
    starts_at = scheduling.whole_minutes(move.starts_at)
    clinic = session.episode.clinic
    if problem := change_rules.past_start_problem(starts_at, timezone.now()):
        raise Refused({"starts_at": problem})
    with transaction.atomic():
        locked = _locked(session)
        _must_be_planned(locked)
        _must_not_be_checked_in(locked, "moved")
        if locked.appointment is None and (move.room is not None or move.clinician is not None):
            raise Refused(
                {
                    "room": "This session is held at the therapist's practice: it has no room "
                    "or clinician to change."
                }
            )
        delta = starts_at - locked.planned_start
        moving = [(locked, starts_at)]
        if move.move_later:
            later = later_sessions(locked)
            moving += list(
                zip(
                    later,
                    change_rules.moved_along([s.planned_start for s in later], delta),
                    strict=True,
                )
            )
        _check_dose_interval(clinic, locked, moving)
        ordered = sorted(moving, key=lambda pair: pair[0].planned_start)
        if change_rules.move_order(delta):
            ordered.reverse()
        changes = []
        for moved, new_start in ordered:
            try:
                with transaction.atomic():
                    changes.append(
                        _move_one(actor, moved, new_start, move if moved is locked else None)
                    )
            except Refused as refusal:
                if moved is locked:
                    raise
                raise _labelled(moved, refusal, clinic.zone) from refusal
        for change in changes:
            _announce(change, locked.episode)
    return [moved for moved, _ in moving]


def cancel(*, actor: Actor, session: CareSession, reason: str, note: str = "") -> CareSession:
    """Cancel a planned session with the reason, freeing its slot at once."""
    clinic = session.episode.clinic
    problem = change_rules.cancel_reason_problem(
        reason, session.planned_start, timezone.now(), clinic.late_cancel_hours
    )
    if problem:
        raise Refused({"reason": problem})
    note = note.strip()
    return _close(
        actor,
        session,
        to_status=SessionStatus.CANCELLED,
        kind=ChangeKind.CANCELLED,
        reason=reason,
        note=note or CancelReason(reason).label,
    )


def no_show(*, actor: Actor, session: CareSession, note: str = "") -> CareSession:
    """The patient did not come: the session is missed, its slot free again."""
    if problem := change_rules.no_show_problem(session.planned_start, timezone.now()):
        raise NotNow(problem)
    return _close(
        actor,
        session,
        to_status=SessionStatus.MISSED,
        kind=ChangeKind.NO_SHOW,
        reason="",
        note=note.strip() or "No-show: the patient did not come.",
    )


def _close(actor, session, *, to_status, kind, reason, note) -> CareSession:
    with transaction.atomic():
        locked = _locked(session)
        _must_be_planned(locked)
        if kind == ChangeKind.NO_SHOW:
            _must_not_be_checked_in(locked, "recorded as a no-show")
        closed = episodes.record_session_status(
            actor=actor, session=locked, to_status=to_status, note=note
        )
        appointment = locked.appointment
        if kind == ChangeKind.NO_SHOW and appointment is not None and appointment.is_booked:
            appointment.status = AppointmentStatus.NO_SHOW
            appointment.cancelled_by, appointment.cancelled_at = actor.user, timezone.now()
            appointment.save(update_fields=["status", "cancelled_by", "cancelled_at"])
            record_access(actor, AccessAction.UPDATE, patient=locked.patient, obj=appointment)
        change = SessionChange.objects.create(
            clinic_id=locked.episode.clinic_id,
            session=locked,
            patient_id=locked.patient_id,
            kind=kind,
            reason=reason,
            note=note,
            from_start=locked.planned_start,
            from_room=appointment.room if appointment else None,
            from_clinician=appointment.clinician if appointment else None,
            changed_by=actor.user,
            changed_at=timezone.now(),
        )
        _announce(change, locked.episode)
    return closed


# --- Telling the patient and the therapist ----------------------------------------------------

SUBJECTS = {
    ChangeKind.RESCHEDULED: "Your appointment at {clinic} has moved",
    ChangeKind.CANCELLED: "Your appointment at {clinic} is cancelled",
    ChangeKind.NO_SHOW: "We missed you at {clinic}",
}
THERAPIST_SUBJECTS = {
    ChangeKind.RESCHEDULED: "An appointment at {clinic} has moved",
    ChangeKind.CANCELLED: "An appointment at {clinic} is cancelled",
    ChangeKind.NO_SHOW: "An appointment at {clinic} was missed",
}


def _patient_email(patient) -> str:
    if patient.user_id and patient.user.is_active and patient.user.email:
        return patient.user.email
    return patient.email


def therapist_to_tell(session: CareSession, episode):
    """The episode's therapist when they see this session under the schedule scope (a
    dose, or a session they run) through a live authorisation; else None."""
    therapist = episode.therapist
    if therapist is None or not therapist.is_active:
        return None
    if session.kind != SessionKind.DOSING and session.run_by_id != therapist.pk:
        return None
    if not feeds.schedule_patients(therapist).filter(pk=session.patient_id).exists():
        return None
    return therapist


def _announce(change: SessionChange, episode) -> None:
    """Queue the emails (no health information: the clinic, the times, a sign-in link)."""
    session, clinic = change.session, episode.clinic
    site = settings.SITE_URL.rstrip("/")
    context = {
        "clinic": clinic,
        "kind": change.kind,
        "was": timezone.localtime(change.from_start, clinic.zone),
        "now": timezone.localtime(change.to_start, clinic.zone) if change.to_start else None,
        "link": site + reverse("accounts:login"),
    }
    recipient = _patient_email(session.patient)
    if recipient:
        notify(
            key=f"session-change:{change.external_id}:patient",
            kind=NotificationKind.APPOINTMENT_CHANGED,
            to=recipient,
            subject=SUBJECTS[change.kind].format(clinic=clinic.name),
            template="scheduling/email/session_changed.txt",
            context=context,
            clinic=clinic,
        )
    therapist = therapist_to_tell(session, episode)
    if therapist is not None:
        link = site + reverse("sharing:shared_record", args=[session.patient.external_id])
        notify(
            key=f"session-change:{change.external_id}:therapist",
            kind=NotificationKind.APPOINTMENT_CHANGED,
            to=therapist.email,
            subject=THERAPIST_SUBJECTS[change.kind].format(clinic=clinic.name),
            template="scheduling/email/session_changed_therapist.txt",
            context={**context, "link": link},
            therapist=therapist,
            patient=session.patient,
            therapist_action=Action.VIEW_SCHEDULE,
        )


def cancellation_is_late(session: CareSession, now: datetime | None = None) -> bool:
    """Would a cancellation by the patient now be late? (Offered first on the form.)"""
    clinic = session.episode.clinic
    return change_rules.is_late(
        session.planned_start, now or timezone.now(), clinic.late_cancel_hours
    )


def default_move_start(session: CareSession) -> datetime:
    """What the reschedule form proposes: the same time a day later (the coordinator
    changes it)."""
    return session.planned_start + timedelta(days=1)
