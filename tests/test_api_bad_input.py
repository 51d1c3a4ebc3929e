"""Bad input to the API is a 4xx in JSON naming the field, never a 500, on SQLite and
PostgreSQL alike: text the database cannot store (NUL, a lone surrogate), text longer than
its column, paging beyond any integer SQL takes, a body too large, a path or a method the
API does not have. Each case here answered 500 (or stored the value) before."""

import json

import pytest

from kapcare.accounts.models import ApiToken
from kapcare.api import api
from kapcare.api_middleware import MAX_BODY_BYTES
from kapcare.episodes.models import Episode
from kapcare.patients.forms import PatientForm
from kapcare.patients.models import Patient
from kapcare.text import NUL_MESSAGE, SURROGATE_MESSAGE

SURROGATE = "x\ud800y"


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def post_json(client, url, user, body):
    """`body` as JSON text: `json.dumps` writes a lone surrogate as the escape `\\ud800`,
    as a client would send it."""
    return client.post(url, json.dumps(body), content_type="application/json", headers=bearer(user))


def new_patient(**changes):
    return {
        "given_name": "Rosa",
        "family_name": "Delgado",
        "birth_date": "1984-03-21",
        "sex_at_birth": "F",
    } | changes


def new_episode(patient, **changes):
    return {
        "patient_id": str(patient.external_id),
        "model": "standalone",
        "diagnosis_code": "F33.2",
    } | changes


def test_a_lone_surrogate_in_a_name_is_refused_at_its_field(client, coordinator):
    response = post_json(client, "/api/v1/patients", coordinator, new_patient(given_name=SURROGATE))

    assert response.status_code == 422
    assert response.json()["errors"] == {"given_name": [SURROGATE_MESSAGE]}
    assert not Patient.objects.exists()


def test_a_lone_surrogate_inside_a_list_is_refused_at_its_field(client, coordinator, patient):
    response = post_json(
        client,
        f"/api/v1/patients/{patient.external_id}/authorizations",
        coordinator,
        {
            "therapist_email": "theo@example.org",
            "therapist_name": "Theo Therapist",
            "scopes": ["measures", SURROGATE],
            "typed_name": "Pat Patient",
            "agreed": True,
        },
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {"scopes": [SURROGATE_MESSAGE]}


def test_a_nul_in_a_diagnosis_is_refused_at_its_field(client, coordinator, patient):
    response = post_json(
        client, "/api/v1/episodes", coordinator, new_episode(patient, diagnosis_text="a\x00b")
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {"diagnosis_text": [NUL_MESSAGE]}
    assert not Episode.objects.exists()


def test_a_diagnosis_longer_than_its_column_is_refused_not_stored(client, coordinator, patient):
    response = post_json(
        client, "/api/v1/episodes", coordinator, new_episode(patient, diagnosis_text="x" * 201)
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "diagnosis_text": ["Ensure this value has at most 200 characters."]
    }
    assert not Episode.objects.exists()


def test_a_diagnosis_as_long_as_its_column_is_stored(client, coordinator, patient):
    response = post_json(
        client, "/api/v1/episodes", coordinator, new_episode(patient, diagnosis_text="x" * 200)
    )

    assert response.status_code == 201
    assert Episode.objects.get().diagnosis_text == "x" * 200


def test_a_100_kb_clinician_email_is_refused_before_any_query(client, coordinator, patient):
    """On SQLite a 100 KB email in a case-insensitive lookup was "LIKE or GLOB pattern too
    complex"; an email is at most 254 characters."""
    response = post_json(
        client,
        "/api/v1/episodes",
        coordinator,
        new_episode(patient, clinician_email="%_" * 50_000),
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "clinician_email": ["Ensure this value has at most 254 characters."]
    }


def test_a_100_kb_query_value_is_refused_at_its_field(client, coordinator):
    response = client.get(
        "/api/v1/episodes", {"patient_id": "%" * 100_000}, headers=bearer(coordinator)
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "patient_id": ["Ensure this value has at most 254 characters."]
    }


LISTS = [
    "/api/v1/controlled-substances/inventories",
    "/api/v1/controlled-substances/theft-loss-reports",
    "/api/v1/dosing-sessions",
    "/api/v1/episodes",
    "/api/v1/patients",
    "/api/v1/patients/{patient}/assessments",
]


# Who reads a list the coordinator may not (a cursor is read once the reader is allowed).
LIST_READERS = {"/api/v1/controlled-substances": "nurse"}


def reader_of(request, url: str):
    prefix = next((p for p in LIST_READERS if url.startswith(p)), None)
    return request.getfixturevalue(LIST_READERS[prefix] if prefix else "coordinator")


@pytest.mark.parametrize("url", LISTS)
# As sent in the query string: NUL, a lone surrogate (UTF-8 of U+D800), 100 KB, a signed-
# looking value with a wrong signature, SQL.
@pytest.mark.parametrize("cursor", ["a%00b", "%ED%A0%80", "x" * 100_000, "e30:x", "%27%3B--"])
def test_a_cursor_not_made_by_kapcare_is_refused_at_its_field(
    client, request, patient, url, cursor
):
    response = client.get(
        f"{url.format(patient=patient.external_id)}?cursor={cursor}",
        headers=bearer(reader_of(request, url)),
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["cursor"]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("limit", [0, -1, 2**63, "many"])
def test_a_page_size_out_of_bounds_is_refused_at_its_field(
    client, coordinator, patient, url, limit
):
    response = client.get(
        url.format(patient=patient.external_id), {"limit": limit}, headers=bearer(coordinator)
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["limit"]


def test_a_body_of_2_5_megabytes_is_refused_with_413(client, coordinator):
    body = json.dumps(new_patient(given_name="a" * 2_500_000))

    response = client.post(
        "/api/v1/patients", body, content_type="application/json", headers=bearer(coordinator)
    )

    assert response.status_code == 413
    assert response.json() == {
        "detail": f"The request body is larger than the API takes ({MAX_BODY_BYTES} bytes)."
    }
    assert not Patient.objects.exists()


def test_a_body_over_djangos_own_limit_is_413_not_500(client, coordinator, settings):
    """An operator may set DATA_UPLOAD_MAX_MEMORY_SIZE below the API's limit: Django then
    refuses to read the body (RequestDataTooBig), and the API says so with 413."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = post_json(client, "/api/v1/patients", coordinator, new_patient(city="x" * 200))

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is larger than the server takes (100 bytes)."
    }


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/nope", "/api/v1/nope", "/api/v1/patients/x/nope"])
def test_an_unknown_path_under_api_is_a_json_404(client, db, settings, debug, path):
    settings.DEBUG = debug

    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_method_the_path_does_not_take_is_a_json_405(client, coordinator):
    response = client.delete("/api/v1/patients", headers=bearer(coordinator))

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}
    assert "DELETE" in response.json()["detail"]


def test_the_patient_form_refuses_a_lone_surrogate_as_the_api_does(db):
    """The pages' form and the API share the rule: the API passes its payload to it."""
    form = PatientForm(data=new_patient(pronouns=SURROGATE))

    assert not form.is_valid()
    assert form.errors["pronouns"] == [SURROGATE_MESSAGE]


def test_the_openapi_document_lists_each_operations_errors(client, db):
    paths = json.loads(json.dumps(api.get_openapi_schema()))["paths"]  # as it is served

    read_patient = paths["/api/v1/patients/{patient_id}"]["get"]["responses"]
    plan_session = paths["/api/v1/episodes/{episode_id}/sessions"]["post"]["responses"]
    me = paths["/api/v1/me"]["get"]["responses"]
    assert set(read_patient) == {"200", "401", "403", "404", "422"}
    assert set(plan_session) == {"201", "400", "401", "403", "404", "409", "413", "422"}
    assert set(me) == {"200", "401"}
    assert plan_session["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }


def test_the_openapi_document_gives_each_text_its_columns_length(client, db):
    schemas = api.get_openapi_schema()["components"]["schemas"]

    episode = schemas["EpisodeIn"]["properties"]
    assert episode["diagnosis_text"]["maxLength"] == 200
    assert episode["clinician_email"]["maxLength"] == 254
