"""Checking a patient in: the service (who and when, logged, once, only on the day of a
booked session) and `POST /api/v1/sessions/{id}/check-in` (200; 409 when it cannot be
done now; the front desk, a clinician or a nurse of the clinic; 403 for other roles,
including an outside therapist whose authorisation was just revoked; 404 for another
clinic's session)."""

import datetime as dt

import pytest
import time_machine

from kapcare.accounts.models import ApiToken
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents import services as consents
from kapcare.dosing.tests.test_today_fixtures import NOON, booked_today
from kapcare.episodes.check_in import services
from kapcare.episodes.models import CareSession, SessionStatus
from kapcare.refusals import Refused
from tests.clock import wall_clock
from tests.factories import authorize, open_episode, plan_session


@pytest.fixture(autouse=True)
def _noon_in_the_clinic():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def session(patient, clinician):
    return booked_today(patient, clinician, hour=10)


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def check_in_url(session) -> str:
    return f"/api/v1/sessions/{session.external_id}/check-in"


def actor(user) -> Actor:
    return Actor(user=user, ip_address="127.0.0.1")


def test_checking_in_records_who_and_when_and_logs_it(coordinator, session):
    services.check_in(actor=actor(coordinator), session=session)

    fresh = CareSession.objects.get(pk=session.pk)
    assert fresh.checked_in_at == NOON
    assert fresh.checked_in_by_id == coordinator.pk
    assert fresh.status == SessionStatus.PLANNED
    assert AccessLogEntry.objects.filter(
        actor=coordinator, action=AccessAction.UPDATE, object_id=str(session.external_id)
    ).exists()


def test_a_patient_is_checked_in_once(coordinator, nurse, session):
    services.check_in(actor=actor(coordinator), session=session)

    with pytest.raises(Refused, match="already checked in"):
        services.check_in(actor=actor(nurse), session=CareSession.objects.get(pk=session.pk))
    assert CareSession.objects.get(pk=session.pk).checked_in_by_id == coordinator.pk


def test_a_session_of_another_day_is_not_checked_in(coordinator, patient, clinician):
    tomorrow = plan_session(
        open_episode(patient, clinician, model="standalone"),
        clinician,
        starts_at=wall_clock(1, 10),
    )

    with pytest.raises(Refused, match="on the day"):
        services.check_in(actor=actor(coordinator), session=tomorrow)


@pytest.mark.parametrize("role", ["coordinator", "clinician", "nurse"])
def test_the_desk_a_clinician_or_a_nurse_checks_in_through_the_api(client, request, session, role):
    user = request.getfixturevalue(role)

    response = client.post(check_in_url(session), headers=bearer(user))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == str(session.external_id)
    assert body["checked_in_by_email"] == user.email
    assert dt.datetime.fromisoformat(body["checked_in_at"]) == NOON


def test_checking_in_twice_through_the_api_is_a_conflict(client, coordinator, session):
    client.post(check_in_url(session), headers=bearer(coordinator))

    response = client.post(check_in_url(session), headers=bearer(coordinator))

    assert response.status_code == 409
    assert "already checked in" in response.json()["detail"]


def test_a_cancelled_session_is_not_checked_in(client, coordinator, session):
    CareSession.objects.filter(pk=session.pk).update(status=SessionStatus.CANCELLED)

    response = client.post(check_in_url(session), headers=bearer(coordinator))

    assert response.status_code == 409
    assert "cancelled" in response.json()["detail"]


@pytest.mark.parametrize("role", ["clinic_admin", "therapist", "patient_user"])
def test_other_roles_may_not_check_in(client, request, session, role):
    response = client.post(check_in_url(session), headers=bearer(request.getfixturevalue(role)))

    assert response.status_code == 403
    assert CareSession.objects.get(pk=session.pk).checked_in_at is None


def test_a_therapist_whose_authorisation_was_just_revoked_may_not_check_in(
    client, clinician, patient, therapist, session
):
    authorization = authorize(patient, therapist, scopes=("schedule",), by=clinician)
    consents.revoke_authorization(actor=actor(clinician), authorization=authorization)

    response = client.post(check_in_url(session), headers=bearer(therapist))

    assert response.status_code == 403


def test_another_clinics_session_is_not_found(client, outsider, session):
    response = client.post(check_in_url(session), headers=bearer(outsider))

    assert response.status_code == 404
    assert CareSession.objects.get(pk=session.pk).checked_in_at is None
