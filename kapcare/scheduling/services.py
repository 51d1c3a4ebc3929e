"""Booking and cancelling appointments: the one place that writes them.

`book` checks for a conflicting appointment inside the write transaction so that the
person booking is told which appointment is in the way; the database's own guarantee
(migration 0002: exclusion constraints on PostgreSQL, triggers on SQLite) holds when two
requests race past that check, and its refusal is turned into the same message.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.refusals import Refused
from kapcare.scheduling.models import Appointment, AppointmentStatus, Room


@dataclass(frozen=True)
class Slot:
    """What to hold, and when. `room` and `clinician` may each be None, not both."""

    starts_at: datetime
    ends_at: datetime
    room: Room | None = None
    clinician: object | None = None


def whole_minutes(moment: datetime) -> datetime:
    """Appointments start and end on the minute (and so compare alike in every database)."""
    return moment.replace(second=0, microsecond=0)


def conflicts(slot: Slot, *, clinic_id: int, exclude_id: int | None = None):
    """Booked appointments of the clinic that hold the slot's room or clinician at an
    overlapping time. Half-open ranges: an appointment may start when another ends."""
    overlapping = Appointment.objects.filter(
        clinic_id=clinic_id,
        status=AppointmentStatus.BOOKED,
        starts_at__lt=slot.ends_at,
        ends_at__gt=slot.starts_at,
    )
    holds = None
    if slot.room is not None:
        holds = overlapping.filter(room_id=slot.room.pk)
    if slot.clinician is not None:
        by_clinician = overlapping.filter(clinician_id=slot.clinician.pk)
        holds = by_clinician if holds is None else holds | by_clinician
    if holds is None:
        return Appointment.objects.none()
    if exclude_id is not None:
        holds = holds.exclude(pk=exclude_id)
    return holds.select_related("room", "clinician").order_by("starts_at")


def conflict_message(slot: Slot, conflict: Appointment, zone) -> str:
    """A sentence naming the appointment in the way, in the clinic's time zone. It names
    the slot and what holds it, never the patient (the reader may not see that record)."""
    start = timezone.localtime(conflict.starts_at, zone)
    end = timezone.localtime(conflict.ends_at, zone)
    if slot.room is not None and conflict.room_id == slot.room.pk:
        what = f"{conflict.room.name} is already booked"
    else:
        what = f"{conflict.clinician.display_name} is already booked"
    return (
        f"{what} {start:%a %b} {start.day}, {start:%H:%M}–{end:%H:%M} "
        f"({conflict.purpose}). Choose another time, room or clinician."
    )


def slot_problems(slot: Slot, *, clinic) -> dict[str, str]:
    """What is wrong with the slot itself, by field."""
    problems: dict[str, str] = {}
    if slot.room is None and slot.clinician is None:
        problems["__all__"] = "Choose a room or a clinician."
    if slot.ends_at <= slot.starts_at:
        problems["starts_at"] = "The appointment must end after it starts."
    if slot.room is not None and (slot.room.clinic_id != clinic.pk or not slot.room.is_active):
        problems["room"] = "Choose one of the clinic's rooms in use."
    if slot.clinician is not None and (
        slot.clinician.clinic_id != clinic.pk or not slot.clinician.is_active
    ):
        problems["clinician"] = "Choose one of the clinic's clinicians."
    return problems


def book(*, actor: Actor, clinic, slot: Slot, purpose: str, patient=None) -> Appointment:
    """Book `slot` for `purpose`, or refuse with the conflict named.

    Runs in the caller's transaction when there is one (a series is booked all or
    nothing); the savepoint keeps a refused booking from spoiling it.
    """
    slot = Slot(
        whole_minutes(slot.starts_at), whole_minutes(slot.ends_at), slot.room, slot.clinician
    )
    problems = slot_problems(slot, clinic=clinic)
    if problems:
        raise Refused(problems)
    try:
        with transaction.atomic():
            conflict = conflicts(slot, clinic_id=clinic.pk).first()
            if conflict is not None:
                raise Refused({"__all__": conflict_message(slot, conflict, clinic.zone)})
            appointment = Appointment.objects.create(
                clinic=clinic,
                patient=patient,
                room=slot.room,
                clinician=slot.clinician,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                purpose=purpose,
                booked_by=actor.user,
            )
            if patient is not None:
                record_access(actor, AccessAction.CREATE, patient=patient, obj=appointment)
            else:
                record_access(actor, AccessAction.CREATE, obj=appointment, clinic_id=clinic.pk)
    except IntegrityError as error:
        # Another request booked the same room or clinician between our check and our
        # write; the database refused ours. Name what won.
        winner = conflicts(slot, clinic_id=clinic.pk).first()
        if winner is None:
            raise
        raise Refused({"__all__": conflict_message(slot, winner, clinic.zone)}) from error
    return appointment


def cancel(*, actor: Actor, appointment: Appointment) -> Appointment:
    """Free the slot; the appointment stays on record as cancelled."""
    if appointment.status == AppointmentStatus.CANCELLED:
        return appointment
    with transaction.atomic():
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_by = actor.user
        appointment.cancelled_at = timezone.now()
        appointment.save(update_fields=["status", "cancelled_by", "cancelled_at"])
        record_access(
            actor,
            AccessAction.UPDATE,
            patient=appointment.patient,
            obj=appointment,
            clinic_id=appointment.clinic_id,
        )
    return appointment


def move(*, actor: Actor, appointment: Appointment, slot: Slot) -> Appointment:
    """Move a booked appointment to another slot (time, room or clinician), or refuse
    with the conflict named; other appointments are untouched."""
    slot = Slot(
        whole_minutes(slot.starts_at), whole_minutes(slot.ends_at), slot.room, slot.clinician
    )
    clinic = appointment.clinic
    problems = slot_problems(slot, clinic=clinic)
    if problems:
        raise Refused(problems)
    try:
        with transaction.atomic():
            conflict = conflicts(slot, clinic_id=clinic.pk, exclude_id=appointment.pk).first()
            if conflict is not None:
                raise Refused({"__all__": conflict_message(slot, conflict, clinic.zone)})
            appointment.starts_at, appointment.ends_at = slot.starts_at, slot.ends_at
            appointment.room, appointment.clinician = slot.room, slot.clinician
            appointment.save(update_fields=["starts_at", "ends_at", "room", "clinician"])
            record_access(
                actor,
                AccessAction.UPDATE,
                patient=appointment.patient,
                obj=appointment,
                clinic_id=clinic.pk,
            )
    except IntegrityError as error:
        winner = conflicts(slot, clinic_id=clinic.pk, exclude_id=appointment.pk).first()
        if winner is None:
            raise
        raise Refused({"__all__": conflict_message(slot, winner, clinic.zone)}) from error
    return appointment
