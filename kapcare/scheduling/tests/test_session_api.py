"""API: POST /sessions/{id}/reschedule, /cancel and /no-show — 200 with the session, 409
naming the conflict, 422 at the field, 403 for a role that may not, 404 for a session out
of reach."""

import datetime as dt
import json

import pytest
import time_machine

from kapcare.accounts.models import ApiToken
from kapcare.scheduling.models import SessionChange
from kapcare.scheduling.tests.conftest import book
from tests import clock
from tests.factories import authorize, open_episode, plan_session

NOW = clock.wall_clock(0, 8)
DOSE = clock.wall_clock(7, 9)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dose(patient, clinician, suite):
    return plan_session(open_episode(patient, clinician), clinician, starts_at=DOSE, room=suite)


def post(client, user, path, body=None):
    _, token = ApiToken.issue(user, "tests")
    return client.post(
        f"/api/v1{path}",
        json.dumps(body) if body is not None else "",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


BODIES = {
    "reschedule": {"start": iso(DOSE + dt.timedelta(hours=2))},
    "cancel": {"reason": "clinic"},
    "no-show": None,
}


@pytest.mark.parametrize("role", ["coordinator", "clinician", "nurse", "clinic_admin"])
def test_clinic_staff_reschedule_and_get_the_session(request, client, dose, role):
    later = DOSE + dt.timedelta(hours=2)

    response = post(
        client,
        request.getfixturevalue(role),
        f"/sessions/{dose.external_id}/reschedule",
        {"start": iso(later)},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(dose.external_id)
    assert dt.datetime.fromisoformat(body["start"]) == later
    assert body["status"] == "planned"


@pytest.mark.parametrize("role", ["therapist", "patient_user"])
@pytest.mark.parametrize("op", ["reschedule", "cancel", "no-show"])
def test_a_therapist_or_a_patient_is_refused(request, client, dose, role, op):
    response = post(
        client, request.getfixturevalue(role), f"/sessions/{dose.external_id}/{op}", BODIES[op]
    )

    assert response.status_code == 403


def test_a_therapist_with_the_schedule_scope_revoked_a_second_ago_is_refused(
    client, dose, patient, therapist, clinician
):
    from kapcare.audit.log import Actor
    from kapcare.consents import services as consents

    authorization = authorize(patient, therapist, scopes=("schedule",), by=clinician)
    consents.revoke_authorization(
        actor=Actor(user=clinician, ip_address="127.0.0.1"), authorization=authorization
    )

    response = post(client, therapist, f"/sessions/{dose.external_id}/cancel", {"reason": "clinic"})

    assert response.status_code == 403
    assert not SessionChange.objects.exists()


@pytest.mark.parametrize("op", ["reschedule", "cancel", "no-show"])
def test_another_clinics_staff_get_404(client, dose, outsider, op):
    response = post(client, outsider, f"/sessions/{dose.external_id}/{op}", BODIES[op])

    assert response.status_code == 404


def test_a_taken_slot_answers_409_naming_it(client, clinic, coordinator, dose, suite):
    book(clinic, coordinator, starts_at=DOSE + dt.timedelta(days=1), room=suite)

    response = post(
        client,
        coordinator,
        f"/sessions/{dose.external_id}/reschedule",
        {"start": iso(DOSE + dt.timedelta(days=1))},
    )

    assert response.status_code == 409
    assert "Suite 1 is already booked" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "start"),
        ({"start": "tomorrow"}, "start"),
        ({"start": "9999-12-31T23:00:00Z"}, "start"),
        ({"start": "PAST"}, "start"),
        ({"start": "LATER", "room_id": "00000000-0000-0000-0000-000000000000"}, "room_id"),
        ({"start": "LATER", "clinician_email": "nobody@example.org"}, "clinician_email"),
    ],
)
def test_bad_input_answers_422_at_the_field(client, coordinator, dose, body, field):
    filled = {
        key: {
            "PAST": iso(NOW - dt.timedelta(hours=1)),
            "LATER": iso(DOSE + dt.timedelta(hours=2)),
        }.get(value, value)
        for key, value in body.items()
    }

    response = post(client, coordinator, f"/sessions/{dose.external_id}/reschedule", filled)

    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]


def test_cancel_with_a_reason_frees_the_slot(client, clinic, coordinator, clinician, dose, suite):
    response = post(
        client,
        coordinator,
        f"/sessions/{dose.external_id}/cancel",
        {"reason": "clinic", "note": "Suite under repair"},
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["status_note"] == "Suite under repair"
    book(clinic, coordinator, starts_at=DOSE, room=suite)  # the same slot, booked again


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"reason": "whim"}, 422),
        ({}, 422),
        ({"reason": "late_cancel"}, 422),  # a week ahead is not late
        ({"reason": "patient", "note": "x" * 1001}, 422),
    ],
)
def test_a_cancellation_that_does_not_fit_answers_422(client, coordinator, dose, body, status):
    response = post(client, coordinator, f"/sessions/{dose.external_id}/cancel", body)

    assert response.status_code == status
    assert list(response.json()["errors"]) in (["reason"], ["note"])


def test_cancelling_twice_answers_409(client, coordinator, dose):
    post(client, coordinator, f"/sessions/{dose.external_id}/cancel", {"reason": "clinic"})

    response = post(
        client, coordinator, f"/sessions/{dose.external_id}/cancel", {"reason": "clinic"}
    )

    assert response.status_code == 409
    assert "only a planned session" in response.json()["detail"]


def test_a_no_show_before_the_start_answers_409_and_after_it_200(client, coordinator, dose):
    early = post(client, coordinator, f"/sessions/{dose.external_id}/no-show")
    assert early.status_code == 409

    with time_machine.travel(DOSE + dt.timedelta(minutes=30), tick=False):
        response = post(
            client, coordinator, f"/sessions/{dose.external_id}/no-show", {"note": "No answer"}
        )

    assert response.status_code == 200
    assert response.json()["status"] == "missed"
