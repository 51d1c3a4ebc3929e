"""The Schedule section of the shared record: the patient's dosing sessions (and the
sessions the therapist runs), shown only under the `schedule` scope, in the clinic's time
zone, with no clinic notes."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat, timezone

from kapcare.audit.log import Actor
from kapcare.episodes import services
from kapcare.scheduling import feeds
from kapcare.scopes import Scope
from kapcare.words import clock
from tests.factories import RoomFactory, authorize, open_episode, plan_session

SECTION = 'id="shared-schedule-heading"'


def at(days: float) -> dt.datetime:
    return timezone.now().replace(second=0, microsecond=0) + dt.timedelta(days=days)


def shown(moment, clinic) -> str:
    local = timezone.localtime(moment, clinic.zone)
    return f"{dateformat.format(local, 'D M j, Y')}, {clock(local)}"


@pytest.fixture
def episode(patient, clinician, therapist):
    return open_episode(patient, clinician, therapist=therapist)


@pytest.fixture
def room(clinic):
    return RoomFactory(clinic=clinic)


def shared_record(client, therapist, patient) -> str:
    client.force_login(therapist)
    response = client.get(reverse("sharing:shared_record", args=[patient.external_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_upcoming_dosing_session_shows_in_the_clinics_time(
    client, therapist, patient, clinic, clinician, episode, room
):
    session = plan_session(episode, clinician, starts_at=at(3), room=room)
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])

    content = shared_record(client, therapist, patient)

    assert SECTION in content
    assert shown(session.planned_start, clinic) in content
    assert "Dosing session" in content


def test_sessions_are_hidden_without_the_schedule_scope(
    client, therapist, patient, clinic, clinician, episode, room
):
    session = plan_session(episode, clinician, starts_at=at(3), room=room)
    authorize(patient, therapist, scopes=[Scope.MEASURES])

    content = shared_record(client, therapist, patient)

    assert SECTION not in content
    assert shown(session.planned_start, clinic) not in content


def test_recent_session_is_listed_and_an_older_one_is_not(
    client, therapist, patient, clinic, clinician, episode, room
):
    recent = plan_session(episode, clinician, starts_at=at(-2), room=room)
    old = plan_session(episode, clinician, starts_at=at(-(feeds.PAST_DAYS + 2)), room=room)
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])

    content = shared_record(client, therapist, patient)

    assert shown(recent.planned_start, clinic) in content
    assert shown(old.planned_start, clinic) not in content


def test_cancelled_session_shows_as_cancelled_without_the_clinics_note(
    client, therapist, patient, clinician, episode, room
):
    session = plan_session(episode, clinician, starts_at=at(3), room=room)
    services.record_session_status(
        actor=Actor(user=clinician, ip_address=None),
        session=session,
        to_status="cancelled",
        note="Blood pressure too high at the last visit.",
    )
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])

    content = shared_record(client, therapist, patient)

    assert "Cancelled" in content
    assert "Blood pressure" not in content


def test_no_sessions_says_so(client, therapist, patient):
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])

    assert "No dosing sessions are scheduled yet" in shared_record(client, therapist, patient)


def test_schedule_section_runs_the_same_queries_however_many_sessions(
    client, therapist, patient, clinician, episode, room
):
    authorize(patient, therapist, scopes=[Scope.SCHEDULE])
    plan_session(episode, clinician, starts_at=at(1), room=room)
    shared_record(client, therapist, patient)  # the session is settled
    with CaptureQueriesContext(connection) as one:
        shared_record(client, therapist, patient)
    for day in range(2, 6):
        plan_session(episode, clinician, starts_at=at(day), room=room)
        plan_session(episode, clinician, kind="integration", starts_at=at(day - 0.5))

    with CaptureQueriesContext(connection) as many:
        content = shared_record(client, therapist, patient)

    # The schedule section alone: the therapist's own sessions are listed again below it.
    schedule = content.split('id="shared-schedule-heading"')[1].split("</section>")[0]
    assert schedule.count("<td>Dosing session</td>") == 5
    assert schedule.count("<td>Integration session</td>") == 4
    assert len(many) == len(one)
