"""The API as an HTTP service: JSON for every answer, its description, no cookies."""

import logging

from django.test import Client

from kapcare.accounts.models import ApiToken
from kapcare.api import api


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def test_unknown_api_path_is_404_json(client, db):
    response = client.get("/api/v1/nope")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_openapi_description_is_available_to_code_without_a_request(db):
    schema = api.get_openapi_schema()

    assert schema["info"]["title"] == "kapcare API"
    assert {"/api/v1/me", "/api/v1/patients", "/api/v1/patients/{patient_id}"} <= set(
        schema["paths"]
    )
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"


def test_openapi_documents_sex_at_birth_codes_and_refuses_unknown_fields(db):
    schemas = api.get_openapi_schema()["components"]["schemas"]

    assert schemas["PatientCreate"]["additionalProperties"] is False
    assert set(schemas["PatientCreate"]["required"]) == {
        "given_name",
        "family_name",
        "birth_date",
        "sex_at_birth",
    }
    assert schemas["SexAtBirth"]["enum"] == ["F", "M", "UNK", "ASKU"]


def test_unexpected_error_is_500_json_and_logged(client, coordinator, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("the access log is unreachable")

    monkeypatch.setattr("kapcare.patients.api.record_list_access", broken)

    with caplog.at_level(logging.ERROR, logger="kapcare.api"):
        response = client.get("/api/v1/patients", headers=bearer(coordinator))

    assert response.status_code == 500
    assert response.json() == {"detail": "Something went wrong on our side; it has been logged."}
    assert "the access log is unreachable" not in response.content.decode()
    assert any(
        record.exc_info and "unreachable" in str(record.exc_info[1]) for record in caplog.records
    )


def test_writes_with_a_token_need_no_csrf_token(coordinator):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/api/v1/patients",
        {
            "given_name": "Rosa",
            "family_name": "Delgado",
            "birth_date": "1984-03-21",
            "sex_at_birth": "F",
        },
        content_type="application/json",
        headers=bearer(coordinator),
    )

    assert response.status_code == 201


def test_writes_with_a_signed_in_session_are_refused(client, coordinator):
    client.force_login(coordinator)

    response = client.post(
        "/api/v1/patients",
        {
            "given_name": "Rosa",
            "family_name": "Delgado",
            "birth_date": "1984-03-21",
            "sex_at_birth": "F",
        },
        content_type="application/json",
    )

    assert response.status_code == 401


def test_api_answers_set_no_session_cookie(client, coordinator):
    response = client.get("/api/v1/me", headers=bearer(coordinator))

    assert response.status_code == 200
    assert "sessionid" not in response.cookies
