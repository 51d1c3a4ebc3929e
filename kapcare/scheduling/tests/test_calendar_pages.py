"""The calendar's pages: the time grid links each entry to its session; the session's page
moves, cancels and records a no-show, keeping what was typed when refused; both log what
they show; the day and week grids read a fixed number of queries with 1 and 50 sessions."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.episodes.models import SessionStatus
from kapcare.scheduling.models import SessionChange
from kapcare.scheduling.tests.conftest import book
from tests import clock
from tests.factories import PatientFactory, RoomFactory, UserFactory, open_episode, plan_session

NOW = clock.wall_clock(0, 8)
DOSE = clock.wall_clock(7, 9)
DAY_URL = reverse("scheduling:day")
WEEK_URL = reverse("scheduling:week")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def dose(patient, clinician, suite):
    return plan_session(open_episode(patient, clinician), clinician, starts_at=DOSE, room=suite)


def session_url(session) -> str:
    return reverse("scheduling:session", args=[session.external_id])


def local_day(clinic, moment) -> str:
    return f"{moment.astimezone(clinic.zone):%Y-%m-%d}"


def test_the_day_grid_links_each_entry_to_its_session(desk_client, clinic, dose):
    page = desk_client.get(DAY_URL, {"date": local_day(clinic, DOSE)}).content.decode()

    assert f'href="{session_url(dose)}"' in page
    assert "cal-at-5 cal-span-8" in page  # 09:00–10:55 on a grid from 08:00
    assert reverse("patients:chart", args=[dose.patient.external_id]) not in page


def test_the_week_grid_links_each_entry_to_its_session(desk_client, clinic, dose):
    response = desk_client.get(WEEK_URL, {"date": local_day(clinic, DOSE), "by": "clinician"})

    assert f'href="{session_url(dose)}"' in response.content.decode()


def test_the_week_names_its_days_as_the_rest_of_the_app_does(desk_client, clinic, dose):
    """Month before day ("Mon Dec 7"), as the therapist's and the portal's dates read."""
    day = DOSE.astimezone(clinic.zone)
    page = desk_client.get(WEEK_URL, {"date": local_day(clinic, DOSE)}).content.decode()

    assert f">{day:%a %b} {day.day}</a>" in page
    assert f">{day:%a} {day.day} {day:%b}</a>" not in page


def test_the_session_page_shows_it_and_logs_the_view(desk_client, dose, patient):
    page = desk_client.get(session_url(dose)).content.decode()

    assert "Reschedule" in page
    assert "Cancel the session" in page
    assert "once the start time has passed" in page  # no-show not offered yet
    assert AccessLogEntry.objects.filter(patient=patient, action=AccessAction.VIEW).exists()


def test_a_coordinator_moves_the_session_from_its_page(desk_client, clinic, dose, suite, clinician):
    later = (DOSE + dt.timedelta(hours=2)).astimezone(clinic.zone)

    response = desk_client.post(
        session_url(dose),
        {
            "action": "reschedule",
            "move-starts_at": f"{later:%Y-%m-%dT%H:%M}",
            "move-room": suite.pk,
            "move-clinician": clinician.pk,
        },
        follow=True,
    )

    dose.refresh_from_db()
    assert dose.planned_start == DOSE + dt.timedelta(hours=2)
    assert "Moved." in response.content.decode()


def test_a_refused_move_says_why_at_the_field_and_keeps_what_was_typed(
    desk_client, clinic, coordinator, dose, suite, clinician, patient
):
    taken = (DOSE + dt.timedelta(days=1)).astimezone(clinic.zone)
    book(clinic, coordinator, starts_at=DOSE + dt.timedelta(days=1), room=suite)
    before = AccessLogEntry.objects.count()

    response = desk_client.post(
        session_url(dose),
        {
            "action": "reschedule",
            "move-starts_at": f"{taken:%Y-%m-%dT%H:%M}",
            "move-room": suite.pk,
            "move-clinician": clinician.pk,
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Suite 1 is already booked" in page
    assert f'value="{taken:%Y-%m-%dT%H:%M}"' in page
    assert AccessLogEntry.objects.filter(pk__gt=before, patient=patient).exists()


def test_cancelling_from_the_page_frees_the_slot(desk_client, clinic, coordinator, dose, suite):
    desk_client.post(
        session_url(dose), {"action": "cancel", "cancel-reason": "patient", "cancel-note": "Flu"}
    )

    dose.refresh_from_db()
    assert dose.status == SessionStatus.CANCELLED
    assert SessionChange.objects.get().reason == "patient"
    assert book(clinic, coordinator, starts_at=DOSE, room=suite).is_booked


def test_a_cancellation_without_a_reason_is_refused_at_the_field(desk_client, dose):
    response = desk_client.post(session_url(dose), {"action": "cancel", "cancel-note": "Flu"})

    page = response.content.decode()
    assert "Choose who cancelled." in page
    assert "Flu</textarea>" in page


def test_a_no_show_is_recorded_once_the_start_has_passed(desk_client, coordinator, dose):
    with time_machine.travel(DOSE + dt.timedelta(minutes=30), tick=False):
        desk_client.force_login(coordinator)  # a week later: signed in again
        desk_client.post(session_url(dose), {"action": "no_show", "noshow-note": ""})

    dose.refresh_from_db()
    assert dose.status == SessionStatus.MISSED


def sessions(clinic, count: int) -> None:
    """`count` dosing sessions of the day, each with its own patient, room and clinician."""
    for n in range(count):
        clinician = UserFactory(clinic=clinic, role=Role.CLINICIAN)
        plan_session(
            open_episode(PatientFactory(clinic=clinic), clinician),
            clinician,
            starts_at=DOSE + dt.timedelta(minutes=n),
            room=RoomFactory(clinic=clinic),
        )


@pytest.mark.parametrize(
    ("url", "by"),
    [(DAY_URL, "room"), (DAY_URL, "clinician"), (WEEK_URL, "room"), (WEEK_URL, "clinician")],
)
def test_the_grid_reads_as_many_queries_for_50_sessions_as_for_1(
    desk_client, clinic, url, by, django_assert_max_num_queries
):
    query = {"date": local_day(clinic, DOSE), "by": by}
    sessions(clinic, 1)
    desk_client.get(url, query)  # the first request stamps the session's idle clock
    with CaptureQueriesContext(connection) as few:
        desk_client.get(url, query)
    sessions(clinic, 49)

    with django_assert_max_num_queries(len(few)):
        response = desk_client.get(url, query)

    assert response.content.decode().count('href="/schedule/sessions/') == 50
