"""The API's bearer-token sign-in and GET /api/v1/me."""

import datetime as dt

import pytest
import time_machine

from kapcare.accounts.models import ApiToken

ME = "/api/v1/me"


def bearer(user, name="tests"):
    _, token = ApiToken.issue(user, name)
    return {"Authorization": f"Bearer {token}"}


def assert_refused(response):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer" in response.json()["detail"]


def test_request_without_a_token_gets_401_json(client, db):
    assert_refused(client.get(ME))


def test_unknown_token_gets_401_json(client, coordinator):
    bearer(coordinator)

    assert_refused(client.get(ME, headers={"Authorization": "Bearer kap_not-a-real-token"}))


def test_empty_bearer_token_gets_401_json(client, coordinator):
    assert_refused(client.get(ME, headers={"Authorization": "Bearer "}))


def test_token_in_another_scheme_gets_401_json(client, coordinator):
    _, token = ApiToken.issue(coordinator, "tests")

    assert_refused(client.get(ME, headers={"Authorization": f"Token {token}"}))


def test_revoked_token_gets_401_on_next_request(client, coordinator):
    record, token = ApiToken.issue(coordinator, "tests")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(ME, headers=headers).status_code == 200

    record.revoke()

    assert_refused(client.get(ME, headers=headers))


def test_token_of_a_deactivated_user_gets_401(client, coordinator):
    headers = bearer(coordinator)
    coordinator.is_active = False
    coordinator.save(update_fields=["is_active"])

    assert_refused(client.get(ME, headers=headers))


def test_signed_in_session_is_not_accepted_by_the_api(client, coordinator):
    client.force_login(coordinator)

    assert_refused(client.get(ME))


def test_token_use_is_recorded_at_most_once_a_minute(client, coordinator):
    record, token = ApiToken.issue(coordinator, "tests")
    headers = {"Authorization": f"Bearer {token}"}
    start = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)

    with time_machine.travel(start, tick=False):
        client.get(ME, headers=headers)
    record.refresh_from_db()
    assert record.last_used_at == start

    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        client.get(ME, headers=headers)
    record.refresh_from_db()
    assert record.last_used_at == start

    with time_machine.travel(start + dt.timedelta(minutes=2), tick=False):
        client.get(ME, headers=headers)
    record.refresh_from_db()
    assert record.last_used_at == start + dt.timedelta(minutes=2)


@pytest.mark.parametrize(
    ("persona", "role"),
    [
        ("coordinator", "coordinator"),
        ("clinician", "clinician"),
        ("clinic_admin", "admin"),
        ("patient_user", "patient"),
    ],
)
def test_me_describes_the_tokens_user_and_clinic(client, request, clinic, persona, role):
    user = request.getfixturevalue(persona)

    response = client.get(ME, headers=bearer(user))

    assert response.status_code == 200
    body = response.json()
    feed_url = body.pop("calendar_feed_url")
    if role == "patient":
        assert feed_url.startswith("http://testserver/calendar/")
        assert feed_url.endswith(".ics")
    else:
        assert feed_url is None
    assert body == {
        "id": str(user.external_id),
        "email": user.email,
        "full_name": user.full_name,
        "role": role,
        "clinic": {
            "id": str(clinic.external_id),
            "name": clinic.name,
            "time_zone": clinic.time_zone,
        },
    }


def test_me_for_an_outside_therapist_has_no_clinic(client, therapist):
    response = client.get(ME, headers=bearer(therapist))

    assert response.status_code == 200
    assert response.json()["role"] == "therapist"
    assert response.json()["clinic"] is None


def test_me_never_shows_the_internal_id_or_password(client, coordinator):
    body = client.get(ME, headers=bearer(coordinator)).json()

    assert set(body) == {"id", "email", "full_name", "role", "clinic", "calendar_feed_url"}
    assert body["id"] != str(coordinator.pk)
