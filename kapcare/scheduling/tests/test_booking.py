"""Booking, cancelling and moving appointments through the service: conflicts are refused
with the slot in the way named in the clinic's time, back-to-back blocks are fine, a
cancelled appointment frees its slot, and a clinician is booked only within their working
hours and outside their time off."""

import datetime as dt

import pytest

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.refusals import Refused
from kapcare.scheduling import services
from kapcare.scheduling.models import (
    LONGEST_APPOINTMENT,
    Appointment,
    AppointmentStatus,
    TimeOff,
    WorkingHours,
)
from kapcare.scheduling.services import Slot
from kapcare.scheduling.tests.conftest import NINE_AM, minutes
from tests.factories import UserFactory

TWO_HOURS = minutes(115)
SUITE_TAKEN = (
    "Suite 1 is already booked Tue Dec 1, 9:00 AM–10:55 AM (Dosing session). "
    "Choose another time, room or clinician."
)


def book(actor, clinic, *, starts_at=NINE_AM, length=TWO_HOURS, room=None, clinician=None, **kw):
    slot = Slot(starts_at, starts_at + length, room, clinician)
    return services.book(
        actor=actor, clinic=clinic, slot=slot, purpose=kw.pop("purpose", "Dosing session"), **kw
    )


def test_overlapping_booking_of_the_same_room_is_refused_naming_the_slot(desk, clinic, suite):
    book(desk, clinic, room=suite)

    with pytest.raises(Refused) as refused:
        book(desk, clinic, starts_at=NINE_AM + minutes(60), room=suite, purpose="Check-in")

    assert refused.value.problems == {"__all__": SUITE_TAKEN}
    assert Appointment.objects.count() == 1


def test_overlapping_booking_of_the_same_clinician_is_refused_naming_the_slot(
    desk, clinic, suite, other_suite, clinician
):
    book(desk, clinic, room=suite, clinician=clinician)

    with pytest.raises(Refused) as refused:
        book(desk, clinic, starts_at=NINE_AM - minutes(30), room=other_suite, clinician=clinician)

    assert refused.value.problems == {
        "__all__": "Cal Clinician, CRNA is already booked Tue Dec 1, 9:00 AM–10:55 AM "
        "(Dosing session). Choose another time, room or clinician."
    }


def test_conflict_message_never_names_the_patient(desk, clinic, suite, patient):
    book(desk, clinic, room=suite, patient=patient)

    with pytest.raises(Refused) as refused:
        book(desk, clinic, room=suite)

    assert patient.family_name not in str(refused.value)


def test_back_to_back_bookings_share_the_boundary_minute(desk, clinic, suite, clinician):
    first = book(desk, clinic, room=suite, clinician=clinician)

    second = book(desk, clinic, starts_at=first.ends_at, room=suite, clinician=clinician)

    assert second.starts_at == first.ends_at


def test_other_rooms_and_clinicians_are_free_at_the_same_time(
    desk, clinic, suite, other_suite, clinician
):
    book(desk, clinic, room=suite, clinician=clinician)
    colleague = UserFactory(clinic=clinic, role="clinician")

    book(desk, clinic, room=other_suite, clinician=colleague)

    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 2


def test_cancelled_appointment_frees_its_slot(desk, clinic, suite):
    cancelled = services.cancel(actor=desk, appointment=book(desk, clinic, room=suite))

    again = book(desk, clinic, room=suite)

    assert cancelled.status == AppointmentStatus.CANCELLED
    assert again.is_booked


def test_move_into_a_booked_slot_is_refused_and_changes_nothing(desk, clinic, suite):
    book(desk, clinic, room=suite)
    later = book(desk, clinic, starts_at=NINE_AM + minutes(180), room=suite, purpose="Check-in")
    taken = Slot(NINE_AM + minutes(30), NINE_AM + minutes(90), suite)

    with pytest.raises(Refused) as refused:
        services.move(actor=desk, appointment=later, slot=taken)

    assert refused.value.problems == {"__all__": SUITE_TAKEN}
    later.refresh_from_db()
    assert later.starts_at == NINE_AM + minutes(180)


def test_move_may_overlap_the_appointments_own_old_slot(desk, clinic, suite):
    appointment = book(desk, clinic, room=suite)

    later = Slot(NINE_AM + minutes(15), NINE_AM + minutes(130), suite)

    services.move(actor=desk, appointment=appointment, slot=later)

    appointment.refresh_from_db()
    assert appointment.starts_at == NINE_AM + minutes(15)


def test_booking_is_logged_with_the_patient(desk, clinic, suite, patient):
    appointment = book(desk, clinic, room=suite, patient=patient)

    entry = AccessLogEntry.objects.get(object_id=str(appointment.external_id))
    assert entry.patient_id == patient.pk
    assert entry.action == AccessAction.CREATE


def test_when_the_check_misses_a_race_the_database_refusal_gets_the_same_message(
    desk, clinic, suite, monkeypatch
):
    """The path a losing concurrent request takes: its check saw nothing, its insert is
    refused by the database (exclusion constraint or trigger), and it is told who won."""
    book(desk, clinic, room=suite)
    real_conflicts = services.conflicts
    calls = []

    def blind_first_time(*args, **kwargs):
        calls.append(1)
        return Appointment.objects.none() if len(calls) == 1 else real_conflicts(*args, **kwargs)

    monkeypatch.setattr(services, "conflicts", blind_first_time)

    with pytest.raises(Refused) as refused:
        book(desk, clinic, room=suite)

    assert refused.value.problems == {"__all__": SUITE_TAKEN}
    assert len(calls) == 2
    assert Appointment.objects.count() == 1


# --- Working hours and time off ---------------------------------------------------------------


def works_tuesdays(clinician, starts="08:00", ends="16:00"):
    return WorkingHours.objects.create(
        clinician=clinician,
        weekday=1,
        starts=dt.time.fromisoformat(starts),
        ends=dt.time.fromisoformat(ends),
    )


def test_booking_past_the_end_of_the_clinicians_hours_is_refused_at_the_time(
    desk, clinic, suite, clinician
):
    works_tuesdays(clinician)

    with pytest.raises(Refused) as refused:
        book(desk, clinic, starts_at=NINE_AM + minutes(360), room=suite, clinician=clinician)

    assert refused.value.problems == {
        "starts_at": "Cal Clinician works Tuesdays 8:00 AM–4:00 PM; this ends at 4:55 PM."
    }


def test_booking_within_the_clinicians_hours_is_accepted(desk, clinic, suite, clinician):
    works_tuesdays(clinician)

    after_lunch = NINE_AM + minutes(185)  # 12:05

    appointment = book(desk, clinic, starts_at=after_lunch, room=suite, clinician=clinician)

    assert appointment.ends_at == NINE_AM + minutes(300)  # 14:00, inside the shift


def test_clinician_with_no_hours_recorded_can_be_booked_at_any_time(desk, clinic, suite, clinician):
    at_night = NINE_AM + minutes(14 * 60)  # 23:00 clinic time

    appointment = book(desk, clinic, starts_at=at_night, length=minutes(30), clinician=clinician)

    assert appointment.is_booked


def test_another_clinicians_hours_do_not_restrict_this_one(desk, clinic, suite, clinician):
    works_tuesdays(UserFactory(clinic=clinic, role="clinician"), "10:00", "11:00")

    assert book(desk, clinic, room=suite, clinician=clinician).is_booked


def test_booking_during_time_off_is_refused_naming_it(desk, clinic, suite, clinician, coordinator):
    TimeOff.objects.create(
        clinician=clinician,
        starts_at=NINE_AM + minutes(60),
        ends_at=NINE_AM + minutes(26 * 60),
        reason="Training",
        recorded_by=coordinator,
    )

    with pytest.raises(Refused) as refused:
        book(desk, clinic, room=suite, clinician=clinician)

    assert refused.value.problems == {
        "starts_at": "Cal Clinician is away Tue Dec 1, 10:00 AM – Wed Dec 2, 11:00 AM (Training)."
    }


def test_moving_a_clinicians_appointment_outside_their_hours_is_refused(
    desk, clinic, suite, clinician
):
    works_tuesdays(clinician)
    appointment = book(desk, clinic, room=suite, clinician=clinician)
    early = Slot(NINE_AM - minutes(120), NINE_AM - minutes(5), suite, clinician)

    with pytest.raises(Refused) as refused:
        services.move(actor=desk, appointment=appointment, slot=early)

    assert "this starts at 7:00 AM" in refused.value.problems["starts_at"]


def test_room_only_booking_ignores_working_hours(desk, clinic, suite, clinician):
    works_tuesdays(clinician, "10:00", "11:00")

    assert book(desk, clinic, room=suite).is_booked


# --- Rooms, hours and time off ---------------------------------------------------------------


def test_room_names_are_unique_in_the_clinic_whatever_the_case(desk, clinic, suite):
    with pytest.raises(Refused) as refused:
        services.save_room(actor=desk, clinic=clinic, name="  suite   1 ")

    assert refused.value.problems == {"name": services.ROOM_NAME_TAKEN}


def test_room_marked_not_in_use_takes_no_new_booking(desk, clinic, suite):
    services.save_room(actor=desk, clinic=clinic, room=suite, name="Suite 1", is_active=False)

    with pytest.raises(Refused) as refused:
        book(desk, clinic, room=suite)

    assert refused.value.problems == {"room": "Choose one of the clinic's rooms in use."}


def test_overlapping_shift_on_the_same_day_is_refused(desk, clinician):
    works_tuesdays(clinician)

    with pytest.raises(Refused) as refused:
        services.add_working_hours(
            actor=desk, clinician=clinician, weekday=1, starts=dt.time(15), ends=dt.time(18)
        )

    assert refused.value.problems == {
        "starts": "This overlaps the shift already recorded: Tuesday 8:00 AM–4:00 PM."
    }


def test_touching_shift_makes_a_longer_day(desk, clinician):
    works_tuesdays(clinician)

    services.add_working_hours(
        actor=desk, clinician=clinician, weekday=1, starts=dt.time(16), ends=dt.time(18)
    )

    assert WorkingHours.objects.filter(clinician=clinician).count() == 2


def test_an_appointment_longer_than_a_day_is_refused_at_its_time(desk, clinic, suite):
    with pytest.raises(Refused) as refused:
        book(desk, clinic, room=suite, length=LONGEST_APPOINTMENT + minutes(1))

    assert refused.value.problems == {"starts_at": "An appointment lasts at most 24 hours."}


def test_an_appointment_of_a_whole_day_still_blocks_the_end_of_its_slot(desk, clinic, suite):
    book(desk, clinic, room=suite, length=LONGEST_APPOINTMENT)

    with pytest.raises(Refused):
        book(desk, clinic, room=suite, starts_at=NINE_AM + LONGEST_APPOINTMENT - minutes(30))


@pytest.mark.parametrize(
    ("start_offset_minutes", "is_found"),
    [(-24 * 60, False), (-24 * 60 + 1, True), (0, True), (59, True), (60, False)],
)
def test_overlapping_finds_every_appointment_that_reaches_into_the_period(
    desk, clinic, suite, start_offset_minutes, is_found
):
    """A period of one hour from nine; whole-day appointments starting around it."""
    book(
        desk,
        clinic,
        room=suite,
        starts_at=NINE_AM + minutes(start_offset_minutes),
        length=LONGEST_APPOINTMENT,
    )

    found = Appointment.objects.overlapping(NINE_AM, NINE_AM + minutes(60))

    assert found.exists() is is_found
