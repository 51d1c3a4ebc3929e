"""A date far outside the clinic's (a typo such as year 9999 or 0001) is refused at its
field on the day and week views and the time off form, and by the booking services
themselves, never a server error."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from kapcare.dates import OUT_OF_RANGE, is_clinic_date
from kapcare.refusals import Refused
from kapcare.scheduling import services
from kapcare.scheduling.models import Appointment, TimeOff
from kapcare.scheduling.services import Slot
from kapcare.scheduling.tests.conftest import NINE_AM, book, minutes

UTC = dt.UTC
LAST_MINUTE = dt.datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
FIRST_MINUTE = dt.datetime(1, 1, 1, 0, 0, tzinfo=UTC)


# --- The bounds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(1999, 12, 31), False),
        (dt.date(2000, 1, 1), True),
        (dt.date(2100, 12, 31), True),
        (dt.date(2101, 1, 1), False),
        (dt.date(9999, 12, 31), False),
        (dt.date(1, 1, 1), False),
        (dt.datetime(2100, 12, 31, 23, 59, tzinfo=UTC), True),
        (dt.datetime(2101, 1, 1, 0, 0, tzinfo=UTC), False),
        (dt.datetime(2000, 1, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=5))), True),
        (dt.datetime(9999, 12, 31, 23, 30, tzinfo=UTC), False),
    ],
)
def test_a_clinic_date_lies_between_2000_and_2100(value, expected):
    assert is_clinic_date(value) is expected


# --- Day and week views -----------------------------------------------------------------------


@pytest.fixture
def staff_client(client, coordinator):
    with time_machine.travel(NINE_AM, tick=False):
        client.force_login(coordinator)
        yield client


@pytest.mark.parametrize("view", ["scheduling:day", "scheduling:week"])
@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01"])
def test_a_schedule_date_out_of_range_is_shown_at_its_field_with_today(staff_client, view, date):
    response = staff_client.get(reverse(view), {"date": date})

    assert response.status_code == 200
    assert response.context["form"].errors == {"date": [OUT_OF_RANGE]}
    assert "?date=2026-12-01&" in response.context["other_view_url"]


# --- Time off ---------------------------------------------------------------------------------


def add_time_off(client, clinician, starts_at, ends_at):
    url = reverse("scheduling:working_hours") + f"?clinician={clinician.external_id}"
    return client.post(
        url,
        {"action": "add_time_off", "away-starts_at": starts_at, "away-ends_at": ends_at},
    )


def test_time_off_starting_in_year_9999_is_refused_at_its_start_keeping_it(staff_client, clinician):
    response = add_time_off(staff_client, clinician, "9999-12-31T20:00", "2026-12-03T17:00")

    assert response.status_code == 200
    assert response.context["away_form"].errors == {"starts_at": [OUT_OF_RANGE]}
    assert 'value="9999-12-31T20:00"' in response.content.decode()
    assert not TimeOff.objects.exists()


def test_time_off_ending_in_year_9999_is_refused_at_its_end(staff_client, clinician):
    response = add_time_off(staff_client, clinician, "2026-12-01T08:00", "9999-12-31T20:00")

    assert response.status_code == 200
    assert response.context["away_form"].errors == {"ends_at": [OUT_OF_RANGE]}
    assert not TimeOff.objects.exists()


def test_time_off_over_booked_appointments_says_how_to_free_them(
    staff_client, clinic, coordinator, clinician, suite
):
    book(clinic, coordinator, room=suite, clinician=clinician)

    response = add_time_off(staff_client, clinician, "2026-12-01T08:00", "2026-12-01T17:00")

    page = staff_client.get(response["Location"]).content.decode()
    assert "record the session as cancelled (“Record”) and plan it again" in page
    assert "day view" not in page


# --- Services ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slot_times",
    [(LAST_MINUTE, LAST_MINUTE + minutes(30)), (FIRST_MINUTE, FIRST_MINUTE + minutes(30))],
)
def test_booking_refuses_a_slot_out_of_range_at_its_start(desk, clinic, suite, slot_times):
    slot = Slot(*slot_times, room=suite)

    with pytest.raises(Refused) as refused:
        services.book(actor=desk, clinic=clinic, slot=slot, purpose="Dosing session")

    assert refused.value.problems == {"starts_at": OUT_OF_RANGE}
    assert not Appointment.objects.exists()


def test_booking_refuses_a_slot_that_ends_out_of_range(desk, clinic, suite):
    slot = Slot(NINE_AM, LAST_MINUTE, room=suite)

    with pytest.raises(Refused) as refused:
        services.book(actor=desk, clinic=clinic, slot=slot, purpose="Dosing session")

    assert refused.value.problems == {"starts_at": OUT_OF_RANGE}


def test_moving_refuses_a_slot_out_of_range_and_changes_nothing(desk, clinic, coordinator, suite):
    appointment = book(clinic, coordinator, room=suite)

    with pytest.raises(Refused) as refused:
        services.move(
            actor=desk,
            appointment=appointment,
            slot=Slot(LAST_MINUTE, LAST_MINUTE + minutes(30), room=suite),
        )

    assert refused.value.problems == {"starts_at": OUT_OF_RANGE}
    appointment.refresh_from_db()
    assert appointment.starts_at == NINE_AM


def test_time_off_service_refuses_times_out_of_range_at_each_field(desk, clinician):
    with pytest.raises(Refused) as refused:
        services.add_time_off(
            actor=desk, clinician=clinician, starts_at=FIRST_MINUTE, ends_at=LAST_MINUTE
        )

    assert refused.value.problems == {"starts_at": OUT_OF_RANGE, "ends_at": OUT_OF_RANGE}
    assert not TimeOff.objects.exists()
