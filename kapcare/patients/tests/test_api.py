"""The patients API: scoping per role, the access log, validation as on the web pages."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kapcare.accounts.models import ApiToken
from kapcare.audit.models import AccessLogEntry
from kapcare.patients.models import Patient
from kapcare.patients.schemas import PatientFields
from kapcare.patients.services import PATIENT_FIELDS
from tests.factories import PatientFactory

PATIENTS = "/api/v1/patients"

VALID = {
    "given_name": "Rosa",
    "family_name": "Delgado",
    "preferred_name": "Ro",
    "birth_date": "1984-03-21",
    "sex_at_birth": "F",
    "gender_identity": "Woman",
    "pronouns": "she/her",
    "email": "rosa@example.org",
    "phone": "615-555-0123",
    "address_line": "12 Music Row",
    "city": "Nashville",
    "state": "TN",
    "postal_code": "37203",
    "emergency_contact_name": "Luis Delgado",
    "emergency_contact_relationship": "Brother",
    "emergency_contact_phone": "615-555-0124",
}


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def detail_url(patient):
    return f"{PATIENTS}/{patient.external_id}"


def post(client, user, body):
    return client.post(PATIENTS, body, content_type="application/json", headers=bearer(user))


def patch(client, user, patient, body):
    return client.patch(
        detail_url(patient), body, content_type="application/json", headers=bearer(user)
    )


def listed_ids(response):
    return {item["id"] for item in response.json()["items"]}


def log_rows(patient, action):
    return AccessLogEntry.objects.filter(patient=patient, action=action)


# Listing


def test_coordinator_lists_only_their_clinics_patients(
    client, coordinator, patient, other_patient, outsider_patient
):
    response = client.get(PATIENTS, headers=bearer(coordinator))

    assert response.status_code == 200
    assert listed_ids(response) == {str(patient.external_id), str(other_patient.external_id)}
    assert response.json()["next"] is None


def test_outsider_lists_none_of_another_clinics_patients(
    client, outsider, patient, other_patient, outsider_patient
):
    response = client.get(PATIENTS, headers=bearer(outsider))

    assert listed_ids(response) == {str(outsider_patient.external_id)}


def test_patient_lists_only_their_own_record(client, patient_user, patient, other_patient):
    response = client.get(PATIENTS, headers=bearer(patient_user))

    assert listed_ids(response) == {str(patient.external_id)}


def test_therapist_without_authorisation_lists_nobody(client, therapist, patient, other_patient):
    response = client.get(PATIENTS, headers=bearer(therapist))

    assert response.status_code == 200
    assert response.json() == {"items": [], "next": None}


def test_each_listed_patient_is_logged_once_as_listed_through_the_api(
    client, coordinator, patient, other_patient
):
    client.get(PATIENTS, headers=bearer(coordinator))

    rows = AccessLogEntry.objects.filter(action="list")
    assert sorted(row.patient_id for row in rows) == sorted([patient.pk, other_patient.pk])
    assert {row.channel for row in rows} == {"api"}
    assert {row.actor_id for row in rows} == {coordinator.pk}


def test_list_is_paged_in_name_order_and_only_the_page_shown_is_logged(client, coordinator, clinic):
    for family_name in ["Evans", "baker", "Davis", "Adams", "carter"]:
        PatientFactory(clinic=clinic, family_name=family_name)

    first = client.get(f"{PATIENTS}?limit=2", headers=bearer(coordinator)).json()

    assert [item["family_name"] for item in first["items"]] == ["Adams", "baker"]
    assert AccessLogEntry.objects.filter(action="list").count() == 2
    second = client.get(first["next"], headers=bearer(coordinator)).json()
    third = client.get(second["next"], headers=bearer(coordinator)).json()
    assert [item["family_name"] for item in second["items"]] == ["carter", "Davis"]
    assert [item["family_name"] for item in third["items"]] == ["Evans"]
    assert third["next"] is None
    assert AccessLogEntry.objects.filter(action="list").count() == 5


def test_patients_of_one_name_are_each_given_once_across_pages(client, coordinator, clinic):
    twins = PatientFactory.create_batch(5, clinic=clinic, family_name="Lee", given_name="Sam")
    headers = bearer(coordinator)

    seen, path = [], f"{PATIENTS}?limit=2"
    while path:
        body = client.get(path, headers=headers).json()
        seen += [item["id"] for item in body["items"]]
        path = body["next"]

    assert seen == [str(twin.external_id) for twin in sorted(twins, key=lambda p: p.pk)]


def test_page_size_beyond_the_maximum_is_refused_with_422(client, coordinator):
    response = client.get(f"{PATIENTS}?limit=100000", headers=bearer(coordinator))

    assert response.status_code == 422
    assert "limit" in response.json()["errors"]


def list_query_count(client, headers):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PATIENTS, headers=headers).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_the_number_of_patients(
    client, coordinator, clinic, django_assert_max_num_queries
):
    headers = bearer(coordinator)
    PatientFactory.create_batch(2, clinic=clinic)
    few = list_query_count(client, headers)
    PatientFactory.create_batch(30, clinic=clinic)

    with django_assert_max_num_queries(few):
        client.get(PATIENTS, headers=headers)


# Reading one


def test_coordinator_reads_a_patient_with_fhir_field_names(client, coordinator, patient):
    response = client.get(detail_url(patient), headers=bearer(coordinator))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(patient.external_id)
    assert body["given_name"] == "Pat"
    assert body["family_name"] == "Patient"
    assert body["birth_date"] == patient.birth_date.isoformat()
    assert body["sex_at_birth"] == "F"
    assert set(body) == {"id", *PATIENT_FIELDS, "created_at", "updated_at"}


def test_reading_a_patient_is_logged_as_viewed_through_the_api(client, coordinator, patient):
    client.get(detail_url(patient), headers=bearer(coordinator))

    row = log_rows(patient, "view").get()
    assert (row.actor_id, row.channel) == (coordinator.pk, "api")


def test_patient_reads_their_own_record(client, patient_user, patient):
    assert client.get(detail_url(patient), headers=bearer(patient_user)).status_code == 200


def test_patient_gets_404_for_another_patient(client, patient_user, patient, other_patient):
    response = client.get(detail_url(other_patient), headers=bearer(patient_user))

    assert response.status_code == 404
    assert response.json() == {"detail": "No such patient."}


def test_other_clinics_patient_is_404_json_and_logged_as_refused(client, outsider, patient):
    response = client.get(detail_url(patient), headers=bearer(outsider))

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
    logged = AccessLogEntry.objects.filter(patient=patient)
    assert list(logged.values_list("action", flat=True)) == ["refused"]


def test_unknown_patient_id_is_404_json(client, coordinator):
    response = client.get(
        f"{PATIENTS}/3f2b8a4e-9c1d-4e5f-8a7b-6c5d4e3f2a1b", headers=bearer(coordinator)
    )

    assert response.status_code == 404
    assert "detail" in response.json()


def test_malformed_patient_id_is_404_json(client, coordinator):
    response = client.get(f"{PATIENTS}/not-a-uuid", headers=bearer(coordinator))

    assert response.status_code == 404
    assert "detail" in response.json()


def test_therapist_without_authorisation_is_refused_a_patient(client, therapist, patient):
    response = client.get(detail_url(patient), headers=bearer(therapist))

    assert response.status_code == 403
    assert "detail" in response.json()
    logged = AccessLogEntry.objects.filter(patient=patient)
    assert list(logged.values_list("action", flat=True)) == ["refused"]


# Creating


def test_coordinator_registers_a_patient_in_their_clinic(client, coordinator, clinic):
    response = post(client, coordinator, VALID)

    assert response.status_code == 201
    created = Patient.objects.get(external_id=response.json()["id"])
    assert created.clinic_id == clinic.pk
    assert created.created_by_id == coordinator.pk
    assert {name: response.json()[name] for name in VALID} == VALID


def test_registration_is_logged_as_created_through_the_api(client, coordinator):
    response = post(client, coordinator, VALID)

    created = Patient.objects.get(external_id=response.json()["id"])
    row = log_rows(created, "create").get()
    assert (row.actor_id, row.channel) == (coordinator.pk, "api")


def test_registration_needs_only_the_required_fields(client, clinician):
    required = {
        name: VALID[name] for name in ("given_name", "family_name", "birth_date", "sex_at_birth")
    }

    response = post(client, clinician, required)

    assert response.status_code == 201
    assert response.json()["preferred_name"] == ""


def test_future_birth_date_is_refused_with_the_web_forms_message(client, coordinator):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    response = post(client, coordinator, {**VALID, "birth_date": tomorrow.isoformat()})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["birth_date"]
    assert not Patient.objects.exists()


def test_missing_given_name_is_refused_with_a_field_error(client, coordinator):
    body = {name: value for name, value in VALID.items() if name != "given_name"}

    response = post(client, coordinator, body)

    assert response.status_code == 422
    assert response.json()["errors"] == {"given_name": ["This field is required."]}
    assert "detail" in response.json()


def test_bad_email_is_refused_with_the_web_forms_message(client, coordinator):
    response = post(client, coordinator, {**VALID, "email": "rosa at example"})

    assert response.status_code == 422
    assert response.json()["errors"] == {"email": ["Enter an email address like name@example.com."]}


def test_unreadable_birth_date_is_refused_with_the_web_forms_message(client, coordinator):
    response = post(client, coordinator, {**VALID, "birth_date": "21/03/1984"})

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "birth_date": ["Enter the date of birth as a date, e.g. 1984-03-21."]
    }


def test_unknown_sex_at_birth_code_is_refused(client, coordinator):
    response = post(client, coordinator, {**VALID, "sex_at_birth": "female"})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["sex_at_birth"]


def test_unknown_field_is_refused_on_create(client, coordinator):
    response = post(client, coordinator, {**VALID, "clinic": "elsewhere"})

    assert response.status_code == 422
    assert response.json()["errors"] == {"clinic": ["This field is not known."]}
    assert not Patient.objects.exists()


def test_body_that_is_not_json_is_refused_with_400_json(client, coordinator):
    response = client.post(
        PATIENTS, "given_name=Rosa", content_type="application/json", headers=bearer(coordinator)
    )

    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize("body", ["", "[]", "null"])
def test_body_that_is_not_an_object_is_refused_with_422(client, coordinator, body):
    response = client.post(
        PATIENTS, body, content_type="application/json", headers=bearer(coordinator)
    )

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["__all__"]
    assert not Patient.objects.exists()


@pytest.mark.parametrize("persona", ["patient_user", "therapist"])
def test_patient_and_therapist_cannot_register_patients(client, request, persona):
    response = post(client, request.getfixturevalue(persona), VALID)

    assert response.status_code == 403
    assert "detail" in response.json()
    assert not Patient.objects.filter(given_name="Rosa").exists()


# Changing


def test_patch_changes_only_the_fields_sent(client, coordinator, patient):
    before = Patient.objects.get(pk=patient.pk)

    response = patch(client, coordinator, patient, {"preferred_name": "Patty", "city": "Memphis"})

    assert response.status_code == 200
    patient.refresh_from_db()
    assert (patient.preferred_name, patient.city) == ("Patty", "Memphis")
    untouched = [name for name in PATIENT_FIELDS if name not in {"preferred_name", "city"}]
    assert all(getattr(patient, name) == getattr(before, name) for name in untouched)
    assert response.json()["preferred_name"] == "Patty"
    assert patient.updated_by_id == coordinator.pk


def test_patch_is_logged_as_an_update_through_the_api(client, coordinator, patient):
    patch(client, coordinator, patient, {"pronouns": "they/them"})

    row = log_rows(patient, "update").get()
    assert (row.actor_id, row.channel) == (coordinator.pk, "api")


def test_patch_that_changes_nothing_writes_no_update_row(client, coordinator, patient):
    response = patch(client, coordinator, patient, {"given_name": patient.given_name})

    assert response.status_code == 200
    assert not log_rows(patient, "update").exists()


def test_patch_validates_with_the_web_form(client, coordinator, patient):
    response = patch(client, coordinator, patient, {"email": "nope", "given_name": ""})

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"email", "given_name"}
    patient.refresh_from_db()
    assert patient.given_name == "Pat"


def test_unknown_field_is_refused_on_patch(client, coordinator, patient):
    response = patch(client, coordinator, patient, {"clinic_id": 99})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["clinic_id"]


def test_outsider_cannot_patch_another_clinics_patient(client, outsider, patient):
    response = patch(client, outsider, patient, {"city": "Elsewhere"})

    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.city != "Elsewhere"


@pytest.mark.parametrize("persona", ["patient_user", "therapist"])
def test_patient_and_therapist_cannot_change_a_record(client, request, patient, persona):
    response = patch(client, request.getfixturevalue(persona), patient, {"city": "Elsewhere"})

    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.city != "Elsewhere"


def test_api_input_schema_names_every_field_the_form_edits():
    assert set(PatientFields.model_fields) == set(PATIENT_FIELDS)
