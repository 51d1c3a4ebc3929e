"""`GET /api/v1/dosing-sessions/{id}/gates`: the contract, who may read it, and the log."""

import uuid

import pytest
import time_machine

from kapcare.accounts.models import ApiToken
from kapcare.api import api
from kapcare.audit.models import AccessAction, AccessLogEntry, Channel
from kapcare.episodes import services
from kapcare.episodes.tests.test_gate_facts import GOOD_CHECKLIST, NOW, actor, ready_session
from kapcare.scopes import Scope
from tests.factories import authorize, plan_session, raise_alert
from tests.second_factor import reauthenticated


@pytest.fixture(autouse=True)
def at_eight_thirty():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def session(patient, clinician, patient_user):
    return ready_session(patient, clinician, patient_user)


def bearer(user) -> dict:
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def gates_url(session_id) -> str:
    return f"/api/v1/dosing-sessions/{session_id}/gates"


def test_gates_are_listed_in_order_with_rule_passed_waived_and_reason(
    client, clinician, patient, session
):
    raise_alert(clinician, patient)
    data = {**GOOD_CHECKLIST.__dict__, "blood_pressure_systolic": 172}
    services.record_day_of_checklist(
        actor=actor(clinician), session=session, data=services.ChecklistInput(**data)
    )
    services.waive_gate(
        actor=actor(clinician),
        session=session,
        rule="blood_pressure",
        reason="Rechecked after rest.",
        reauthentication=reauthenticated(clinician),
    )

    response = client.get(gates_url(session.external_id), headers=bearer(clinician))

    assert response.status_code == 200
    body = response.json()
    assert [g["rule"] for g in body] == [
        "eligibility",
        "consent",
        "preparation",
        "integration",
        "measures",
        "safety_review",
        "dose_interval",
        "day_of_checklist",
        "blood_pressure",
        "dose",
        "therapist_in_loop",
    ]
    assert all(set(g) == {"rule", "passed", "waived", "reason"} for g in body)
    assert body[5] == {
        "rule": "safety_review",
        "passed": False,
        "waived": False,
        "reason": "1 safety alert, the first raised Dec 1, 2026, 8:30 AM, needs a clinician's "
        "safety review.",
    }
    assert (body[8]["rule"], body[8]["passed"], body[8]["waived"]) == (
        "blood_pressure",
        False,
        True,
    )
    assert body[0]["passed"] is True
    assert body[0]["waived"] is False


def test_standalone_infusion_lists_seven_gates_and_the_dose(
    client, clinician, patient, patient_user
):
    session = ready_session(patient, clinician, patient_user, "standalone")

    body = client.get(gates_url(session.external_id), headers=bearer(clinician)).json()

    assert len(body) == 8
    assert body[-1]["rule"] == "dose"


@pytest.mark.parametrize("role", ["coordinator", "clinician", "clinic_admin"])
def test_clinic_staff_read_the_gates(client, request, session, role):
    user = request.getfixturevalue(role)

    assert client.get(gates_url(session.external_id), headers=bearer(user)).status_code == 200


@pytest.mark.parametrize("role", ["patient_user", "therapist"])
def test_patient_and_therapist_are_refused(client, request, session, role):
    user = request.getfixturevalue(role)

    response = client.get(gates_url(session.external_id), headers=bearer(user))

    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow this."}


@pytest.mark.parametrize("session_id", ["unknown", "not-a-uuid"])
def test_unknown_or_other_clinics_session_is_404(client, outsider, clinician, session, session_id):
    ids = {"unknown": uuid.uuid4(), "not-a-uuid": "not-a-uuid"}

    assert client.get(gates_url(session.external_id), headers=bearer(outsider)).status_code == 404
    assert client.get(gates_url(ids[session_id]), headers=bearer(clinician)).status_code == 404


def test_a_preparation_session_has_no_gates(client, clinician, session):
    preparation = plan_session(session.episode, clinician, kind="preparation", starts_at=NOW)

    assert (
        client.get(gates_url(preparation.external_id), headers=bearer(clinician)).status_code == 404
    )


def test_the_read_is_logged_from_the_api(client, coordinator, patient, session):
    client.get(gates_url(session.external_id), headers=bearer(coordinator))

    entry = AccessLogEntry.objects.latest("id")
    assert (entry.action, entry.channel, entry.patient_id, entry.actor_id) == (
        AccessAction.VIEW,
        Channel.API,
        patient.pk,
        coordinator.pk,
    )


def test_the_openapi_description_names_the_fields(db):
    schema = api.get_openapi_schema()

    assert "/api/v1/dosing-sessions/{session_id}/gates" in schema["paths"]
    assert set(schema["components"]["schemas"]["GateOut"]["required"]) == {
        "rule",
        "passed",
        "waived",
        "reason",
    }


def test_a_therapist_the_patient_authorised_is_still_refused(client, therapist, patient, session):
    authorize(patient, therapist, scopes=Scope.values)

    assert client.get(gates_url(session.external_id), headers=bearer(therapist)).status_code == 403
