"""The episodes API: listing and opening episodes, reading one with its sessions and
transitions, planning a session (409 naming the slot on a double booking) and completing
one (409 when it cannot be done now); who may do each, and the access log."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from kapcare.accounts.models import ApiToken, Role, User
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.episodes import services
from kapcare.episodes.models import CareSession, Episode
from kapcare.scheduling.models import Appointment
from tests.factories import PatientFactory, RoomFactory, asked_coverage, open_episode, plan_session

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fixed_now():
    with time_machine.travel(NOW, tick=False):
        yield


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def get(client, url, user):
    return client.get(url, headers=bearer(user))


def post(client, url, user, body=None):
    return client.post(url, body, content_type="application/json", headers=bearer(user))


def episode_body(patient, **changes):
    return {
        "patient_id": str(patient.external_id),
        "model": "blended",
        "diagnosis_code": "F33.2",
    } | changes


@pytest.fixture
def episode(patient, clinician, therapist):
    asked_coverage(patient, clinician)  # every booking asks it first (billing.booking)
    return open_episode(patient, clinician, therapist=therapist)


@pytest.fixture
def room(clinic):
    return RoomFactory(clinic=clinic, name="Suite A")


def sessions_url(episode):
    return f"/api/v1/episodes/{episode.external_id}/sessions"


# --- Episodes ---------------------------------------------------------------------------------


def test_staff_open_an_episode_naming_the_therapist_by_email(
    client, coordinator, patient, therapist
):
    response = post(
        client,
        "/api/v1/episodes",
        coordinator,
        episode_body(patient, therapist_email=therapist.email),
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["model"], body["state"], body["therapist_email"]) == (
        "blended",
        "referred",
        therapist.email,
    )
    assert body["transitions"][0]["to_state"] == "referred"
    assert Episode.objects.get(external_id=body["id"]).therapist == therapist


def test_an_unknown_therapist_is_invited_and_the_email_does_not_name_the_patient(
    client, coordinator, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            "/api/v1/episodes",
            coordinator,
            episode_body(patient, therapist_email="nia@practice.example", therapist_name="Nia New"),
        )

    assert response.status_code == 201
    assert User.objects.get(email="nia@practice.example").role == Role.THERAPIST
    assert patient.family_name not in mail.outbox[0].body


def test_a_bad_diagnosis_code_answers_422_at_the_field(client, coordinator, patient):
    response = post(
        client, "/api/v1/episodes", coordinator, episode_body(patient, diagnosis_code="sad")
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["diagnosis_code"]


def test_an_unknown_model_answers_422_at_the_field(client, coordinator, patient):
    response = post(client, "/api/v1/episodes", coordinator, episode_body(patient, model="other"))

    assert response.status_code == 422
    assert "model" in response.json()["errors"]


def test_a_clinic_account_named_as_therapist_answers_422(client, coordinator, clinician, patient):
    response = post(
        client,
        "/api/v1/episodes",
        coordinator,
        episode_body(patient, therapist_email=clinician.email),
    )

    assert response.status_code == 422
    assert "therapist_email" in response.json()["errors"]


def test_an_unknown_patient_answers_404(client, coordinator, outsider_patient):
    response = post(client, "/api/v1/episodes", coordinator, episode_body(outsider_patient))

    assert response.status_code == 404
    assert not Episode.objects.exists()


@pytest.mark.parametrize("persona", ["therapist", "patient_user"])
def test_therapists_and_patients_may_not_open_an_episode(client, request, patient, persona):
    response = post(
        client, "/api/v1/episodes", request.getfixturevalue(persona), episode_body(patient)
    )

    assert response.status_code == 403


def test_the_list_holds_the_clinics_episodes_only(
    client, coordinator, episode, outsider_patient, outsider
):
    open_episode(outsider_patient, outsider)

    response = get(client, "/api/v1/episodes", coordinator)

    assert [item["id"] for item in response.json()["items"]] == [str(episode.external_id)]


def test_listing_logs_each_patient_listed(client, coordinator, episode):
    get(client, "/api/v1/episodes", coordinator)

    assert (
        AccessLogEntry.objects.filter(patient=episode.patient, action=AccessAction.LIST).count()
        == 1
    )


def test_the_list_filters_by_state(client, coordinator, episode):
    response = get(client, "/api/v1/episodes?state=screening", coordinator)

    assert response.json() == {"items": [], "next": None}


def test_the_list_is_paged_newest_first_logging_only_the_page_shown(
    client, coordinator, clinician, clinic
):
    episodes = [open_episode(PatientFactory(clinic=clinic), clinician) for _ in range(3)]

    first = get(client, "/api/v1/episodes?limit=2", coordinator).json()
    second = get(client, first["next"], coordinator).json()

    newest_first = [str(e.external_id) for e in reversed(episodes)]
    assert [item["id"] for item in first["items"] + second["items"]] == newest_first
    assert second["next"] is None
    assert AccessLogEntry.objects.filter(action=AccessAction.LIST).count() == 3


def test_a_therapists_token_may_not_list_episodes(client, therapist, episode):
    assert get(client, "/api/v1/episodes", therapist).status_code == 403


def test_one_episode_comes_with_its_sessions_in_time_order_and_its_transitions(
    client, coordinator, clinician, episode, room
):
    dose = plan_session(episode, clinician, room=room)
    preparation = plan_session(
        episode,
        clinician,
        kind="preparation",
        starts_at=dt.datetime(2026, 11, 25, 15, tzinfo=dt.UTC),
    )
    services.change_state(
        actor=Actor(user=clinician, ip_address=None), episode=episode, to_state="screening"
    )

    body = get(client, f"/api/v1/episodes/{episode.external_id}", coordinator).json()

    assert [s["id"] for s in body["sessions"]] == [
        str(preparation.external_id),
        str(dose.external_id),
    ]
    assert body["sessions"][1]["room_id"] == str(room.external_id)
    assert [(t["from_state"], t["to_state"]) for t in body["transitions"]] == [
        (None, "referred"),
        ("referred", "screening"),
    ]
    assert body["next_states"] == ["eligible", "ineligible", "discontinued"]


def test_reading_an_episode_is_logged(client, coordinator, episode):
    get(client, f"/api/v1/episodes/{episode.external_id}", coordinator)

    assert AccessLogEntry.objects.filter(
        patient=episode.patient, action=AccessAction.VIEW, object_id=str(episode.external_id)
    ).exists()


def test_the_patient_may_read_their_own_episode(client, patient_user, episode):
    assert get(client, f"/api/v1/episodes/{episode.external_id}", patient_user).status_code == 200


def test_another_clinic_gets_404_for_an_episode(client, outsider, episode):
    assert get(client, f"/api/v1/episodes/{episode.external_id}", outsider).status_code == 404


def test_a_therapist_gets_403_for_an_episode(client, therapist, episode):
    assert get(client, f"/api/v1/episodes/{episode.external_id}", therapist).status_code == 403


# --- Sessions ---------------------------------------------------------------------------------


def dose_body(room, clinician, start="2026-12-01T15:00:00Z"):
    return {
        "kind": "dosing",
        "start": start,
        "room_id": str(room.external_id),
        "clinician_email": clinician.email,
    }


def test_planning_a_dose_books_its_appointment(client, coordinator, clinician, episode, room):
    response = post(client, sessions_url(episode), coordinator, dose_body(room, clinician))

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["status"], body["clinician_email"]) == (
        "dosing",
        "planned",
        clinician.email,
    )
    assert CareSession.objects.get(external_id=body["id"]).appointment.room == room


def test_a_start_without_an_offset_is_read_in_the_clinics_zone(
    client, coordinator, clinician, episode, room
):
    response = post(
        client, sessions_url(episode), coordinator, dose_body(room, clinician, "2026-12-01T09:00")
    )

    session = CareSession.objects.get(external_id=response.json()["id"])
    assert session.planned_start == dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC)


def test_a_double_booking_answers_409_naming_the_slot(
    client, coordinator, clinician, episode, room
):
    plan_session(episode, clinician, room=room)

    response = post(
        client,
        sessions_url(episode),
        coordinator,
        dose_body(room, clinician, "2026-12-01T16:00:00Z"),
    )

    assert response.status_code == 409
    assert "Suite A is already booked Tue Dec 1, 9:00 AM–10:55 AM" in response.json()["detail"]
    assert Appointment.objects.count() == 1


def test_a_dose_without_a_clinician_answers_422(client, coordinator, episode, room):
    body = {"kind": "dosing", "start": "2026-12-01T15:00:00Z", "room_id": str(room.external_id)}

    response = post(client, sessions_url(episode), coordinator, body)

    assert response.status_code == 422
    assert "clinician_email" in response.json()["errors"]


def test_another_clinics_room_answers_422(client, coordinator, clinician, episode, other_clinic):
    response = post(
        client,
        sessions_url(episode),
        coordinator,
        dose_body(RoomFactory(clinic=other_clinic), clinician),
    )

    assert response.status_code == 422
    assert "room_id" in response.json()["errors"]


def test_an_unknown_clinician_email_answers_422(client, coordinator, episode, room, therapist):
    response = post(client, sessions_url(episode), coordinator, dose_body(room, therapist))

    assert response.status_code == 422
    assert "clinician_email" in response.json()["errors"]


def test_a_patient_may_not_plan_a_session(client, patient_user, clinician, episode, room):
    assert (
        post(client, sessions_url(episode), patient_user, dose_body(room, clinician)).status_code
        == 403
    )


def complete_url(session):
    return f"/api/v1/sessions/{session.external_id}/complete"


def test_completing_a_past_preparation_session_marks_it_done(
    client, coordinator, clinician, episode
):
    session = plan_session(
        episode, clinician, kind="preparation", starts_at=NOW - dt.timedelta(days=1)
    )

    response = post(
        client,
        complete_url(session),
        coordinator,
        {"note": "Good.", "therapist_confirmation": "Email from the therapist, today"},
    )

    assert response.status_code == 200
    assert response.json()["status"] == "done"
    assert response.json()["therapist_confirmation"] == "Email from the therapist, today"
    assert CareSession.objects.get(pk=session.pk).status_note == "Good."


def test_completing_a_preparation_without_the_therapists_confirmation_answers_409(
    client, coordinator, clinician, episode
):
    session = plan_session(
        episode, clinician, kind="preparation", starts_at=NOW - dt.timedelta(days=1)
    )

    response = post(client, complete_url(session), coordinator, {"note": "Good."})

    assert response.status_code == 409
    assert "confirm" in response.json()["detail"]
    assert CareSession.objects.get(pk=session.pk).status == "planned"


def test_completing_a_dose_not_started_answers_409(client, coordinator, clinician, episode):
    session = plan_session(episode, clinician, starts_at=NOW - dt.timedelta(hours=3))

    response = post(client, complete_url(session), coordinator)

    assert response.status_code == 409
    assert "discharged" in response.json()["detail"]


def test_completing_twice_answers_409(client, coordinator, clinician, episode):
    session = plan_session(
        episode, clinician, kind="integration", starts_at=NOW - dt.timedelta(days=1)
    )
    post(client, complete_url(session), coordinator)

    assert post(client, complete_url(session), coordinator).status_code == 409


def test_a_therapist_may_not_complete_a_session_for_now(client, therapist, clinician, episode):
    session = plan_session(
        episode, clinician, kind="integration", starts_at=NOW - dt.timedelta(days=1)
    )

    assert post(client, complete_url(session), therapist).status_code == 403


def test_another_clinic_gets_404_for_a_session(client, outsider, clinician, episode):
    session = plan_session(
        episode, clinician, kind="integration", starts_at=NOW - dt.timedelta(days=1)
    )

    assert post(client, complete_url(session), outsider).status_code == 404


def test_a_dose_in_progress_is_done_only_by_discharge_not_by_the_api(client, clinician, episode):
    session = plan_session(episode, clinician, starts_at=NOW - dt.timedelta(hours=3))
    # Test setup: started, as `services.start_dosing_session` does after the gates.
    CareSession.objects.filter(pk=session.pk).update(status="in_progress")

    response = post(client, complete_url(session), clinician)

    assert response.status_code == 409
    assert "discharged" in response.json()["detail"]
    assert CareSession.objects.get(pk=session.pk).status == "in_progress"
