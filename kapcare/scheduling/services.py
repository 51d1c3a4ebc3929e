"""Booking and cancelling appointments, and the clinic's rooms, working hours and time off:
the one place that writes them.

`book` checks for a conflicting appointment inside the write transaction so that the
person booking is told which appointment is in the way; the database's own guarantee
(migration 0002: exclusion constraints on PostgreSQL, triggers on SQLite) holds when two
requests race past that check, and its refusal is turned into the same message.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from kapcare import dates
from kapcare.audit.log import Actor, record_access
from kapcare.audit.models import AccessAction
from kapcare.refusals import Refused
from kapcare.scheduling import rules
from kapcare.scheduling.models import (
    LONGEST_APPOINTMENT,
    Appointment,
    AppointmentStatus,
    Room,
    TimeOff,
    WorkingHours,
)
from kapcare.words import clock


class DoubleBooking(Refused):
    """Another booked appointment holds the room or the clinician at that time; the
    message names it. The API answers 409 for this refusal, 422 for the others."""

    def __init__(self, message: str):
        super().__init__({"__all__": message})


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
    overlapping = Appointment.objects.overlapping(slot.starts_at, slot.ends_at).filter(
        clinic_id=clinic_id, status=AppointmentStatus.BOOKED
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
        f"{what} {start:%a %b} {start.day}, {clock(start)}–{clock(end)} "
        f"({conflict.purpose}). Choose another time, room or clinician."
    )


def slot_problems(slot: Slot, *, clinic) -> dict[str, str]:
    """What is wrong with the slot itself, by field. A slot outside the dates the clinic
    accepts is refused before anything else looks at it (its times would overflow)."""
    if not (dates.is_clinic_date(slot.starts_at) and dates.is_clinic_date(slot.ends_at)):
        return {"starts_at": dates.OUT_OF_RANGE}
    problems: dict[str, str] = {}
    if slot.room is None and slot.clinician is None:
        problems["__all__"] = "Choose a room or a clinician."
    if slot.ends_at <= slot.starts_at:
        problems["starts_at"] = "The appointment must end after it starts."
    elif slot.ends_at - slot.starts_at > LONGEST_APPOINTMENT:
        hours = int(LONGEST_APPOINTMENT.total_seconds() // 3600)
        problems["starts_at"] = f"An appointment lasts at most {hours} hours."
    if slot.room is not None and (slot.room.clinic_id != clinic.pk or not slot.room.is_active):
        problems["room"] = "Choose one of the clinic's rooms in use."
    if slot.clinician is not None and (
        slot.clinician.clinic_id != clinic.pk or not slot.clinician.is_active
    ):
        problems["clinician"] = "Choose one of the clinic's clinicians."
    return problems


def availability_problems(clinician, starts_at: datetime, ends_at: datetime, clinic) -> list[str]:
    """Why `clinician` cannot take [starts_at, ends_at): outside their weekly working hours
    or during their time off (`rules`), each as a sentence in the clinic's time zone.

    A clinician with no working hours recorded at all is available at any time (see
    `rules`); time off is checked whether or not hours are recorded. Two queries.
    """
    zone = clinic.zone
    shifts = [
        rules.Shift(weekday, starts, ends)
        for weekday, starts, ends in WorkingHours.objects.filter(
            clinician_id=clinician.pk
        ).values_list("weekday", "starts", "ends")
    ]
    absences = [
        rules.Absence(timezone.localtime(start, zone), timezone.localtime(end, zone), reason)
        for start, end, reason in TimeOff.objects.filter(
            clinician_id=clinician.pk, starts_at__lt=ends_at, ends_at__gt=starts_at
        ).values_list("starts_at", "ends_at", "reason")
    ]
    local_start = timezone.localtime(starts_at, zone)
    local_end = timezone.localtime(ends_at, zone)
    name = clinician.full_name
    found = [
        rules.working_hours_problem(name, local_start, local_end, shifts),
        rules.time_off_problem(name, local_start, local_end, absences),
    ]
    return [problem for problem in found if problem]


def clinician_problems(slot: Slot, *, clinic) -> dict[str, str]:
    """The slot's clinician's availability, as a refusal at the time field (the time is
    what the person booking usually changes; the message names the clinician)."""
    if slot.clinician is None:
        return {}
    found = availability_problems(slot.clinician, slot.starts_at, slot.ends_at, clinic)
    return {"starts_at": " ".join(found)} if found else {}


def book(*, actor: Actor, clinic, slot: Slot, purpose: str, patient=None) -> Appointment:
    """Book `slot` for `purpose`, or refuse with the conflict named.

    Runs in the caller's transaction when there is one (a series is booked all or
    nothing); the savepoint keeps a refused booking from spoiling it.
    """
    slot = Slot(
        whole_minutes(slot.starts_at), whole_minutes(slot.ends_at), slot.room, slot.clinician
    )
    problems = slot_problems(slot, clinic=clinic) or clinician_problems(slot, clinic=clinic)
    if problems:
        raise Refused(problems)
    try:
        with transaction.atomic():
            conflict = conflicts(slot, clinic_id=clinic.pk).first()
            if conflict is not None:
                raise DoubleBooking(conflict_message(slot, conflict, clinic.zone))
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
        raise DoubleBooking(conflict_message(slot, winner, clinic.zone)) from error
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
    problems = slot_problems(slot, clinic=clinic) or clinician_problems(slot, clinic=clinic)
    if problems:
        raise Refused(problems)
    try:
        with transaction.atomic():
            conflict = conflicts(slot, clinic_id=clinic.pk, exclude_id=appointment.pk).first()
            if conflict is not None:
                raise DoubleBooking(conflict_message(slot, conflict, clinic.zone))
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
        raise DoubleBooking(conflict_message(slot, winner, clinic.zone)) from error
    return appointment


# --- Rooms ------------------------------------------------------------------------------------

ROOM_NAME_TAKEN = "The clinic already has a room with this name; choose another."


MONITOR_TAKEN = "This monitor is already set on {room}: a monitor feeds one room."
# HL7 v2's delimiters (field, component, repetition, escape, subcomponent): an id holding
# one could not be sent in OBX-18 or MSH-3 as one value.
HL7_DELIMITERS = frozenset("|^~\\&")


def monitor_device_id_problem(device_id: str) -> str:
    """Why `device_id` cannot be a monitor's id as HL7 v2 sends it, or ""."""
    if any(character in HL7_DELIMITERS or not character.isprintable() for character in device_id):
        return "Enter the id as the monitor sends it: letters, digits, dashes, no | ^ ~ \\ &."
    if " " in device_id:
        return "Enter the id without spaces, as the monitor sends it."
    return ""


def save_room(
    *,
    actor: Actor,
    clinic,
    name: str,
    is_active: bool = True,
    monitor_device_id: str = "",
    room=None,
) -> Room:
    """Add a room to `clinic`, or rename `room`, mark it in use or not, and set the id of
    its bedside monitor (readings it sends over HL7 go to the dosing session under way in
    the room; one monitor per room, one room per monitor in a clinic). Rooms are never
    deleted: past appointments and sessions keep pointing at them; one not in use is
    offered for no new booking."""
    name = " ".join(name.split())
    monitor_device_id = monitor_device_id.strip()
    problems = {}
    if not name:
        problems["name"] = "Give the room a name."
    if problem := monitor_device_id_problem(monitor_device_id):
        problems["monitor_device_id"] = problem
    if problems:
        raise Refused(problems)
    if room is not None and room.clinic_id != clinic.pk:
        raise PermissionError("Rooms belong to one clinic.")
    others = Room.objects.filter(clinic_id=clinic.pk)
    if room is not None:
        others = others.exclude(pk=room.pk)
    if others.filter(name__iexact=name).exists():
        raise Refused({"name": ROOM_NAME_TAKEN})
    if monitor_device_id and (holder := others.filter(monitor_device_id=monitor_device_id).first()):
        raise Refused({"monitor_device_id": MONITOR_TAKEN.format(room=holder.name)})
    try:
        with transaction.atomic():
            if room is None:
                room = Room.objects.create(
                    clinic=clinic,
                    name=name,
                    is_active=is_active,
                    monitor_device_id=monitor_device_id,
                )
                record_access(actor, AccessAction.CREATE, obj=room)
            else:
                room.name, room.is_active = name, is_active
                room.monitor_device_id = monitor_device_id
                room.save(update_fields=["name", "is_active", "monitor_device_id"])
                record_access(actor, AccessAction.UPDATE, obj=room)
    except IntegrityError as error:
        # Another save took the name or the monitor meanwhile.
        taken = others.filter(monitor_device_id=monitor_device_id).first()
        if monitor_device_id and taken is not None:
            raise Refused({"monitor_device_id": MONITOR_TAKEN.format(room=taken.name)}) from error
        raise Refused({"name": ROOM_NAME_TAKEN}) from error
    return room


# --- Working hours and time off -----------------------------------------------------------------


def add_working_hours(*, actor: Actor, clinician, weekday: int, starts, ends) -> WorkingHours:
    """Add a shift to `clinician`'s week, or refuse one that ends before it starts or
    overlaps a shift already recorded that day (touching is fine: a split shift)."""
    if ends <= starts:
        raise Refused({"ends": "The shift must end after it starts."})
    overlapping = (
        WorkingHours.objects.filter(
            clinician_id=clinician.pk, weekday=weekday, starts__lt=ends, ends__gt=starts
        )
        .order_by("starts")
        .first()
    )
    if overlapping is not None:
        raise Refused({"starts": f"This overlaps the shift already recorded: {overlapping}."})
    with transaction.atomic():
        shift = WorkingHours.objects.create(
            clinician=clinician, weekday=weekday, starts=starts, ends=ends
        )
        record_access(actor, AccessAction.CREATE, obj=shift, clinic_id=clinician.clinic_id)
    return shift


def remove_working_hours(*, actor: Actor, shift: WorkingHours) -> None:
    """Take a shift out of the clinician's week (booked appointments stay booked)."""
    with transaction.atomic():
        record_access(actor, AccessAction.UPDATE, obj=shift, clinic_id=shift.clinician.clinic_id)
        shift.delete()


def add_time_off(*, actor: Actor, clinician, starts_at, ends_at, reason: str = "") -> TimeOff:
    """Record that `clinician` is away from `starts_at` to `ends_at`. Appointments already
    booked in that time stay booked; the page says how many there are."""
    out_of_range = {
        field: dates.OUT_OF_RANGE
        for field, moment in (("starts_at", starts_at), ("ends_at", ends_at))
        if not dates.is_clinic_date(moment)
    }
    if out_of_range:
        raise Refused(out_of_range)
    if ends_at <= starts_at:
        raise Refused({"ends_at": "The time off must end after it starts."})
    with transaction.atomic():
        time_off = TimeOff.objects.create(
            clinician=clinician,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason.strip(),
            recorded_by=actor.user,
        )
        record_access(actor, AccessAction.CREATE, obj=time_off, clinic_id=clinician.clinic_id)
    return time_off


def remove_time_off(*, actor: Actor, time_off: TimeOff) -> None:
    """Take back time off recorded by mistake or no longer taken."""
    with transaction.atomic():
        record_access(
            actor, AccessAction.UPDATE, obj=time_off, clinic_id=time_off.clinician.clinic_id
        )
        time_off.delete()


def booked_during(clinician, starts_at, ends_at):
    """The clinician's booked appointments overlapping [starts_at, ends_at)."""
    return Appointment.objects.overlapping(starts_at, ends_at).filter(
        clinician_id=clinician.pk, status=AppointmentStatus.BOOKED
    )
