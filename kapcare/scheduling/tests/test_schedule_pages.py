"""The coordinator's day and week views: what they show, in the clinic's time, per room or
per clinician; the access log of the patients listed; a fixed number of queries."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.scheduling.models import WorkingHours
from kapcare.scheduling.tests.conftest import NINE_AM, book, minutes
from tests.factories import PatientFactory, RoomFactory, UserFactory

DAY_URL = reverse("scheduling:day")
WEEK_URL = reverse("scheduling:week")


@pytest.fixture
def staff_client(client, coordinator):
    client.force_login(coordinator)
    return client


def test_day_view_lists_a_rooms_appointments_in_clinic_time_with_the_patient_named(
    staff_client, clinic, coordinator, suite, patient
):
    book(clinic, coordinator, room=suite, patient=patient)

    page = staff_client.get(DAY_URL, {"date": "2026-12-01"}).content.decode()

    assert "Suite 1" in page
    assert "9:00 AM</time>–<time" in page  # 15:00 UTC is 9:00 AM in Chicago
    # An appointment without a session has nothing to open (sessions: test_calendar_pages).
    assert reverse("patients:chart", args=[patient.external_id]) not in page
    assert "Pat Patient" in page


def test_day_view_shows_the_free_gap_between_two_appointments(
    staff_client, clinic, coordinator, suite
):
    book(clinic, coordinator, room=suite, length=60)
    book(clinic, coordinator, room=suite, starts_at=NINE_AM + minutes(90), length=60)

    page = staff_client.get(DAY_URL, {"date": "2026-12-01"}).content.decode()

    assert "Free</span> 30 min" in page


def test_day_view_by_clinician_counts_gaps_within_their_hours(
    staff_client, clinic, coordinator, clinician, suite
):
    WorkingHours.objects.create(clinician=clinician, weekday=1, starts=dt.time(8), ends=dt.time(16))
    book(clinic, coordinator, room=suite, clinician=clinician)

    page = staff_client.get(DAY_URL, {"date": "2026-12-01", "by": "clinician"}).content.decode()

    assert "Works 8:00 AM–4:00 PM." in page
    assert "Free</span> 60 min" in page  # 08:00–09:00
    assert "Free</span> 305 min" in page  # 10:55–16:00


def test_day_view_shows_nothing_of_another_day_or_another_clinic(
    staff_client, clinic, coordinator, suite, other_clinic, outsider
):
    book(clinic, coordinator, room=suite, starts_at=NINE_AM + dt.timedelta(days=1))
    elsewhere = RoomFactory(clinic=other_clinic, name="Harbour Room")
    book(other_clinic, outsider, room=elsewhere)

    page = staff_client.get(DAY_URL, {"date": "2026-12-01"}).content.decode()

    assert "Harbour Room" not in page
    assert "Nothing booked." in page


def test_day_view_defaults_to_today_in_the_clinic(client, coordinator):
    # 03:00 UTC on Dec 2 is still Dec 1 in Chicago.
    with time_machine.travel(dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        client.force_login(coordinator)
        page = client.get(DAY_URL).content.decode()

    assert "Tuesday, December 1, 2026 (today)" in page
    assert "date=2026-11-30" in page  # previous day
    assert "date=2026-12-02" in page  # next day


def test_day_view_says_what_is_wrong_with_a_bad_date_and_shows_today(staff_client, clinic):
    response = staff_client.get(DAY_URL, {"date": "2026-13-45", "by": "room"})

    assert response.status_code == 200
    assert "Enter a date as YYYY-MM-DD" in response.content.decode()
    assert 'value="2026-13-45"' in response.content.decode()  # what was typed is kept


def test_day_view_logs_each_patient_shown_once(
    staff_client, clinic, coordinator, suite, other_suite, patient, other_patient
):
    book(clinic, coordinator, room=suite, patient=patient)
    book(clinic, coordinator, room=other_suite, patient=other_patient)
    book(clinic, coordinator, room=suite, starts_at=NINE_AM + minutes(180), patient=patient)
    before = AccessLogEntry.objects.count()

    staff_client.get(DAY_URL, {"date": "2026-12-01"})

    listed = AccessLogEntry.objects.order_by("id")[before:]
    assert sorted(e.patient_id for e in listed) == sorted([patient.pk, other_patient.pk])
    assert {e.action for e in listed} == {AccessAction.LIST}


def bookings(clinic, coordinator, count):
    """`count` appointments, each with its own patient, room and clinician."""
    for n in range(count):
        book(
            clinic,
            coordinator,
            room=RoomFactory(clinic=clinic),
            clinician=UserFactory(clinic=clinic, role="clinician"),
            patient=PatientFactory(clinic=clinic),
            starts_at=NINE_AM + minutes(n),
        )


@pytest.mark.parametrize(
    ("url", "by"),
    [(DAY_URL, "room"), (DAY_URL, "clinician"), (WEEK_URL, "room"), (WEEK_URL, "clinician")],
)
def test_schedule_query_count_does_not_grow_with_appointments(
    staff_client, clinic, coordinator, url, by
):
    query = {"date": "2026-12-01", "by": by}
    bookings(clinic, coordinator, 1)
    staff_client.get(url, query)  # a session's first request also stamps its idle clock
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url, query)
    bookings(clinic, coordinator, 6)

    with CaptureQueriesContext(connection) as many:
        response = staff_client.get(url, query)

    assert response.status_code == 200
    assert response.content.decode().count("Dosing session") >= 7
    assert len(many) == len(few)


def test_week_view_lists_each_appointment_in_its_days_column(
    staff_client, clinic, coordinator, suite, patient
):
    book(clinic, coordinator, room=suite, patient=patient)  # Tuesday
    book(clinic, coordinator, room=suite, starts_at=NINE_AM + dt.timedelta(days=4))  # Saturday

    response = staff_client.get(WEEK_URL, {"date": "2026-12-03"})

    row = next(c for c in response.context["columns"] if c.heading == "Suite 1")
    assert [len(day) for day in row.days] == [0, 1, 0, 0, 0, 1, 0]
    page = response.content.decode()
    assert "Mon Nov 30" in page
    assert "Sun Dec 6" in page
    assert "date=2026-11-23" in page  # previous week
    assert "date=2026-12-07" in page  # next week


def test_week_view_by_clinician_has_a_row_per_clinician(
    staff_client, clinic, coordinator, clinician, suite
):
    book(clinic, coordinator, room=suite, clinician=clinician)

    response = staff_client.get(WEEK_URL, {"date": "2026-12-01", "by": "clinician"})

    headings = [c.heading for c in response.context["columns"]]
    assert headings == ["Cal Clinician, CRNA"]
