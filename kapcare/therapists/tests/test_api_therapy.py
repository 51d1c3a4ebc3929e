"""The API of the therapist portal: `POST /api/v1/sessions/{id}/record` (a planned session),
`POST /api/v1/patients/{id}/therapy-sessions` (one not planned), and the calendar feed's
address in `GET /api/v1/me`. 404 for what is not the therapist's, 422 naming the field,
409 with the reason when the session cannot be recorded now."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from kapcare.accounts.models import ApiToken, Role
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry, Channel
from kapcare.consents import services as consent_services
from kapcare.episodes import services
from kapcare.episodes.models import CareSession
from kapcare.scheduling import feeds
from kapcare.scopes import Scope
from tests.factories import UserFactory, authorize, open_episode, plan_session

NOW = dt.datetime(2026, 12, 1, 20, 0, tzinfo=dt.UTC)  # 2 PM in Chicago


@pytest.fixture(autouse=True)
def _at_now():
    with time_machine.travel(NOW, tick=False):
        yield


def bearer(user) -> dict:
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def post(client, url, user, body):
    return client.post(url, body, content_type="application/json", headers=bearer(user))


def body(**changes) -> dict:
    return {
        "held_on": "2026-11-30",
        "start_time": "16:00",
        "duration_minutes": 50,
        "modality": "ifs",
        "attended": True,
        "coordination_note": "Ready for the next dose.",
    } | changes


def record_url(session) -> str:
    return f"/api/v1/sessions/{session.external_id}/record"


def new_url(patient) -> str:
    return f"/api/v1/patients/{patient.external_id}/therapy-sessions"


@pytest.fixture
def episode(patient, clinician, therapist):
    return open_episode(patient, clinician, therapist=therapist)


@pytest.fixture
def planned(episode, clinician):
    return plan_session(
        episode, clinician, kind="integration", starts_at=NOW - dt.timedelta(days=1)
    )


@pytest.fixture
def authorization(patient, therapist):
    return authorize(patient, therapist, scopes=[Scope.MEASURES])


# --- Recording ------------------------------------------------------------------------------


def test_a_therapist_records_a_planned_session(client, therapist, planned, authorization):
    response = post(client, record_url(planned), therapist, body())

    assert response.status_code == 200
    answer = response.json()
    assert (answer["id"], answer["status"], answer["kind"]) == (
        str(planned.external_id),
        "done",
        "integration",
    )
    assert (answer["modality"], answer["duration_minutes"]) == ("ifs", 50)
    assert answer["start"] == "2026-11-30T22:00:00Z"  # 4 PM in Chicago
    assert answer["run_by_email"] == therapist.email


def test_a_therapist_records_a_session_that_was_not_planned(
    client, therapist, patient, episode, authorization
):
    response = post(client, new_url(patient), therapist, body(kind="preparation", attended=False))

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["status"]) == ("preparation", "missed")
    assert CareSession.objects.get(episode=episode).status == "missed"


def test_recording_is_logged_on_the_api_channel(client, therapist, patient, planned, authorization):
    post(client, record_url(planned), therapist, body())

    entry = AccessLogEntry.objects.filter(actor=therapist, patient=patient).latest("id")
    assert (entry.action, entry.channel) == (AccessAction.UPDATE, Channel.API)


# --- 404: not theirs ------------------------------------------------------------------------


def test_without_an_authorisation_the_session_is_404(client, therapist, planned):
    assert post(client, record_url(planned), therapist, body()).status_code == 404


def test_revoked_a_moment_ago_the_session_is_404(
    client, therapist, patient_user, planned, authorization
):
    consent_services.revoke_authorization(
        actor=Actor(user=patient_user, ip_address=None), authorization=authorization
    )

    assert post(client, record_url(planned), therapist, body()).status_code == 404
    assert planned.__class__.objects.get(pk=planned.pk).status == "planned"


def test_after_the_authorisation_expires_the_session_is_404(client, therapist, patient, planned):
    today = consent_services.clinic_today(patient.clinic)
    authorization = authorize(patient, therapist, expires_on=today + dt.timedelta(days=1))
    with time_machine.travel(authorization.expires_at + dt.timedelta(minutes=1)):
        assert post(client, record_url(planned), therapist, body()).status_code == 404


def test_a_therapist_the_episode_does_not_name_gets_404(client, patient, planned):
    colleague = UserFactory(role=Role.THERAPIST, clinic=None)
    authorize(patient, colleague, scopes=Scope.values)

    assert post(client, record_url(planned), colleague, body()).status_code == 404
    assert post(client, new_url(patient), colleague, body(kind="integration")).status_code == 404


def test_a_dosing_session_is_404_for_the_therapist(
    client, therapist, episode, clinician, authorization
):
    dose = plan_session(episode, clinician, starts_at=NOW - dt.timedelta(days=1))

    assert post(client, record_url(dose), therapist, body()).status_code == 404


def test_clinic_staff_are_refused(client, clinician, planned):
    assert post(client, record_url(planned), clinician, body()).status_code == 403


# --- 422 at the field, 409 with the reason --------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"held_on": "1999-12-31"}, "held_on"),
        ({"held_on": "2026-12-25"}, "held_on"),
        ({"held_on": "someday"}, "held_on"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"modality": "reiki"}, "modality"),
        ({"coordination_note": "x" * 1001}, "coordination_note"),
        ({"coordination_note": "a\x00b"}, "coordination_note"),
        ({"attended": False, "coordination_note": ""}, "coordination_note"),
        ({"room": "Suite A"}, "room"),
    ],
)
def test_bad_input_answers_422_naming_the_field(
    client, therapist, planned, authorization, changes, field
):
    response = post(client, record_url(planned), therapist, body(**changes))

    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]
    assert CareSession.objects.get(pk=planned.pk).status == "planned"


def test_a_session_already_done_answers_409_with_the_reason(
    client, therapist, planned, authorization
):
    post(client, record_url(planned), therapist, body())

    response = post(client, record_url(planned), therapist, body())

    assert response.status_code == 409
    assert response.json()["detail"] == "This integration session is already done."


def test_a_closed_episode_answers_409(
    client, therapist, clinician, episode, planned, authorization
):
    services.change_state(
        actor=Actor(user=clinician, ip_address=None),
        episode=episode,
        to_state="discontinued",
        reason="Moved away.",
    )

    response = post(client, record_url(planned), therapist, body())

    assert response.status_code == 409
    assert response.json()["detail"].startswith("This episode is discontinued")
    new = post(client, new_url(planned.patient), therapist, body(kind="integration"))
    assert new.status_code == 409


# --- The calendar feed in /me ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["therapist", "patient_user"])
def test_me_gives_therapists_and_patients_their_calendar_feed(client, request, patient, role):
    user = request.getfixturevalue(role)

    response = client.get("/api/v1/me", headers=bearer(user))

    token = feeds.feed_for_user(user).token
    assert response.json()["calendar_feed_url"] == "http://testserver" + reverse(
        "feeds:ics", args=[token]
    )


@pytest.mark.parametrize("role", ["coordinator", "clinician", "clinic_admin"])
def test_me_gives_staff_no_calendar_feed(client, request, role):
    response = client.get("/api/v1/me", headers=bearer(request.getfixturevalue(role)))

    assert response.status_code == 200
    assert response.json()["calendar_feed_url"] is None
