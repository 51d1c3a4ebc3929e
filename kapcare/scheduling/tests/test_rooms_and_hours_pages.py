"""The admin's rooms page, and the working hours and time off page: what each write does,
where a bad value's message goes, and that another clinic's records stay out of reach."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from kapcare.scheduling.models import Room, TimeOff, WorkingHours
from kapcare.scheduling.tests.conftest import NINE_AM, book
from tests.factories import RoomFactory, UserFactory

ROOMS_URL = reverse("scheduling:rooms")
HOURS_URL = reverse("scheduling:working_hours")


def room_url(room) -> str:
    return reverse("scheduling:room_edit", args=[room.external_id])


@pytest.fixture
def admin_client(client, clinic_admin):
    client.force_login(clinic_admin)
    return client


@pytest.fixture
def desk_client(client, coordinator):
    client.force_login(coordinator)
    return client


# --- Rooms ------------------------------------------------------------------------------------


def test_admin_adds_a_room(admin_client, clinic):
    response = admin_client.post(ROOMS_URL, {"name": "Suite 3", "is_active": "on"})

    assert response.status_code == 302
    assert Room.objects.get(clinic=clinic).name == "Suite 3"


def test_a_taken_room_name_is_refused_at_the_field_keeping_what_was_typed(admin_client, suite):
    response = admin_client.post(ROOMS_URL, {"name": "suite 1"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["The clinic already has a room with this name; choose another."]
    }
    assert 'value="suite 1"' in response.content.decode()


def test_admin_renames_a_room_and_marks_it_not_in_use(admin_client, suite):
    admin_client.post(room_url(suite), {"name": "Suite One"})

    suite.refresh_from_db()
    assert suite.name == "Suite One"
    assert not suite.is_active


def test_admin_sets_the_rooms_monitor_and_the_list_shows_it(admin_client, suite):
    admin_client.post(room_url(suite), {"name": "Suite 1", "monitor_device_id": "MON-1"})

    suite.refresh_from_db()
    assert suite.monitor_device_id == "MON-1"
    assert "<code>MON-1</code>" in admin_client.get(ROOMS_URL).content.decode()


def test_a_monitor_set_on_another_room_is_refused_at_the_field_keeping_what_was_typed(
    admin_client, suite, clinic
):
    RoomFactory(clinic=clinic, name="Suite 2", monitor_device_id="MON-1")

    response = admin_client.post(ROOMS_URL, {"name": "Suite 3", "monitor_device_id": "MON-1"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "monitor_device_id": ["This monitor is already set on Suite 2: a monitor feeds one room."]
    }
    assert 'value="Suite 3"' in response.content.decode()
    assert not Room.objects.filter(name="Suite 3").exists()


def test_a_monitor_id_hl7_cannot_carry_is_refused_at_the_field(admin_client, suite):
    response = admin_client.post(room_url(suite), {"name": "Suite 1", "monitor_device_id": "A^B"})

    assert "monitor_device_id" in response.context["form"].errors
    assert 'value="A^B"' in response.content.decode()


def test_rooms_page_lists_only_the_clinics_rooms(admin_client, suite, other_clinic):
    RoomFactory(clinic=other_clinic, name="Harbour Room")

    page = admin_client.get(ROOMS_URL).content.decode()

    assert "Suite 1" in page
    assert "Harbour Room" not in page


def test_another_clinics_room_is_not_found(admin_client, other_clinic):
    elsewhere = RoomFactory(clinic=other_clinic)

    assert admin_client.post(room_url(elsewhere), {"name": "Mine now"}).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.name != "Mine now"


# --- Working hours ----------------------------------------------------------------------------


def hours_url(clinician) -> str:
    return f"{HOURS_URL}?clinician={clinician.external_id}"


def test_coordinator_adds_a_shift_for_a_clinician(desk_client, clinician):
    response = desk_client.post(
        hours_url(clinician),
        {"action": "add_hours", "hours-weekday": 1, "hours-starts": "08:00", "hours-ends": "16:00"},
    )

    assert response.status_code == 302
    shift = WorkingHours.objects.get(clinician=clinician)
    assert (shift.weekday, shift.starts, shift.ends) == (1, dt.time(8), dt.time(16))


def test_a_shift_that_ends_before_it_starts_is_refused_at_the_end_field(desk_client, clinician):
    response = desk_client.post(
        hours_url(clinician),
        {"action": "add_hours", "hours-weekday": 1, "hours-starts": "16:00", "hours-ends": "08:00"},
    )

    assert response.status_code == 200
    assert response.context["hours_form"].errors == {
        "ends": ["The shift must end after it starts."]
    }
    assert not WorkingHours.objects.exists()


def test_coordinator_removes_a_shift(desk_client, clinician):
    shift = WorkingHours.objects.create(
        clinician=clinician, weekday=1, starts=dt.time(8), ends=dt.time(16)
    )

    desk_client.post(hours_url(clinician), {"action": "remove_hours", "shift": shift.pk})

    assert not WorkingHours.objects.exists()


def test_a_shift_of_another_clinician_cannot_be_removed_through_this_one(
    desk_client, clinic, clinician
):
    colleague = UserFactory(clinic=clinic, role="clinician")
    shift = WorkingHours.objects.create(
        clinician=colleague, weekday=1, starts=dt.time(8), ends=dt.time(16)
    )

    response = desk_client.post(hours_url(clinician), {"action": "remove_hours", "shift": shift.pk})

    assert response.status_code == 404
    assert WorkingHours.objects.filter(pk=shift.pk).exists()


def test_another_clinics_clinician_is_not_found(desk_client, other_clinic):
    elsewhere = UserFactory(clinic=other_clinic, role="clinician")

    assert desk_client.get(hours_url(elsewhere)).status_code == 404


def test_the_page_opens_on_the_first_clinician(desk_client, clinician):
    response = desk_client.get(HOURS_URL)

    assert response.context["clinician"].pk == clinician.pk
    assert "can be booked at any time" in response.content.decode()


# --- Time off ---------------------------------------------------------------------------------


def add_time_off(client, clinician, starts_at, ends_at, reason="Training"):
    return client.post(
        hours_url(clinician),
        {
            "action": "add_time_off",
            "away-starts_at": starts_at,
            "away-ends_at": ends_at,
            "away-reason": reason,
        },
    )


def test_time_off_is_read_in_the_clinics_time_zone(desk_client, clinician):
    add_time_off(desk_client, clinician, "2026-12-01T08:00", "2026-12-03T17:00")

    time_off = TimeOff.objects.get(clinician=clinician)
    assert time_off.starts_at == dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC)
    assert time_off.ends_at == dt.datetime(2026, 12, 3, 23, 0, tzinfo=dt.UTC)
    assert time_off.reason == "Training"


def test_time_off_that_ends_before_it_starts_is_refused_at_the_field(desk_client, clinician):
    response = add_time_off(desk_client, clinician, "2026-12-03T08:00", "2026-12-01T17:00")

    assert response.context["away_form"].errors == {
        "ends_at": ["The time off must end after it starts."]
    }
    assert 'value="2026-12-03T08:00"' in response.content.decode()


def test_time_off_over_booked_appointments_warns_how_many(
    desk_client, clinic, coordinator, clinician, suite
):
    book(clinic, coordinator, room=suite, clinician=clinician)

    response = add_time_off(desk_client, clinician, "2026-12-01T08:00", "2026-12-01T17:00")

    page = desk_client.get(response["Location"]).content.decode()
    assert "has 1 appointment booked in that time" in page


def test_upcoming_time_off_is_listed_and_can_be_taken_back(desk_client, clinician, coordinator):
    time_off = TimeOff.objects.create(
        clinician=clinician,
        starts_at=NINE_AM,
        ends_at=NINE_AM + dt.timedelta(days=1),
        reason="Conference",
        recorded_by=coordinator,
    )
    with time_machine.travel(NINE_AM - dt.timedelta(days=3), tick=False):
        desk_client.force_login(coordinator)
        assert "Conference" in desk_client.get(hours_url(clinician)).content.decode()

        desk_client.post(
            hours_url(clinician), {"action": "remove_time_off", "time_off": time_off.external_id}
        )

    assert not TimeOff.objects.exists()
