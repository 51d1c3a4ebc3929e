"""/fhir/r4/ over HTTP: tokens, reads, searches, errors as OperationOutcome, who sees
what (each role, a therapist by scope, a therapist revoked a moment ago) and the access
log."""

import pytest
from django.test import Client
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry, Channel
from kapcare.consents.models import SharingAuthorization
from kapcare.fhir.tests.records import (
    FHIR_JSON,
    bearer,
    dose_time,
    entries,
    frozen_in_session,
    full_record,
    get,
    next_link,
    schema_errors,
)
from tests.factories import UserFactory, authorize

BASE = "/fhir/r4"


@pytest.fixture
def record(patient, clinician, therapist):
    dose_at = dose_time()
    with frozen_in_session(dose_at):
        full_record(patient, clinician, dose_at, therapist, scopes=("measures",))
        yield patient


def types_of(bundle) -> list[str]:
    return sorted({resource["resourceType"] for resource in entries(bundle)})


# --- Tokens, formats, errors ---


def test_metadata_lists_each_type_and_everything_without_a_token(client):
    response = client.get(f"{BASE}/metadata")

    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    statement = response.json()
    # The vendored schema is R4 4.0.0's (kapcare/fhir/schema/README.md): "4.0.1" is the
    # one value it does not know.
    assert statement["fhirVersion"] == "4.0.1"
    assert len(schema_errors(statement)) == 1
    assert schema_errors({**statement, "fhirVersion": "4.0.0"}) == []
    types = {entry["type"] for entry in statement["rest"][0]["resource"]}
    assert {"Patient", "Observation", "MedicationAdministration", "Questionnaire"} <= types
    (patient,) = [e for e in statement["rest"][0]["resource"] if e["type"] == "Patient"]
    assert patient["operation"][0]["name"] == "everything"


def test_no_token_is_401_with_an_operation_outcome(client, patient):
    response = client.get(f"{BASE}/Patient/{patient.external_id}")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="kapcare"'
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.json()["issue"][0]["code"] == "login"


def test_a_session_sign_in_is_not_enough(client, coordinator, patient):
    client.force_login(coordinator)

    assert client.get(f"{BASE}/Patient/{patient.external_id}").status_code == 401


def test_an_unknown_search_parameter_is_400_naming_it(client, coordinator):
    response = get(client, f"{BASE}/Patient", coordinator, colour="blue")

    assert response.status_code == 400
    assert "colour" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"birthdate": "1990-02-30"}, "1990-02-30"),
        ({"_lastUpdated": "gesoon"}, "gesoon"),
        ({"_count": "0"}, "_count"),
        ({"_count": "many"}, "_count"),
        ({"cursor": "made-up"}, "cursor"),
    ],
)
def test_a_value_that_cannot_be_read_is_400_not_500(client, coordinator, params, named):
    response = get(client, f"{BASE}/Patient", coordinator, **params)

    assert response.status_code == 400
    assert named in response.json()["issue"][0]["diagnostics"]
    assert schema_errors(response.json()) == []


def test_a_write_is_405_with_an_outcome(coordinator):
    client = Client(enforce_csrf_checks=True)

    response = client.post(f"{BASE}/Patient", {}, headers=bearer(coordinator))

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["resourceType"] == "OperationOutcome"


def test_xml_is_not_offered(client, coordinator):
    response = get(client, f"{BASE}/Patient", coordinator, _format="xml")

    assert response.status_code == 406
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("path", ["/Specimen", "/Patient/not-an-id", "/Patient/a/b/c"])
def test_unknown_addresses_are_404_outcomes(client, coordinator, path):
    response = get(client, f"{BASE}{path}", coordinator)

    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


# --- Reads ---


def test_staff_read_a_patient_and_the_read_is_logged(client, coordinator, patient):
    response = get(client, f"{BASE}/Patient/{patient.external_id}", coordinator)

    assert response.status_code == 200
    assert response.json()["id"] == str(patient.external_id)
    entry = AccessLogEntry.objects.filter(patient=patient, actor=coordinator).latest("id")
    assert (entry.action, entry.channel) == (AccessAction.VIEW, Channel.API)


def test_another_clinic_gets_404_and_the_attempt_is_logged(client, outsider, patient):
    response = get(client, f"{BASE}/Patient/{patient.external_id}", outsider)

    assert response.status_code == 404
    assert AccessLogEntry.objects.filter(
        patient=patient, actor=outsider, action=AccessAction.REFUSED
    ).exists()


def test_a_patient_reads_only_their_own_record(client, patient_user, patient, other_patient):
    assert get(client, f"{BASE}/Patient/{patient.external_id}", patient_user).status_code == 200
    assert (
        get(client, f"{BASE}/Patient/{other_patient.external_id}", patient_user).status_code == 404
    )


def test_a_questionnaire_is_read_by_its_instrument(client, patient_user):
    response = get(client, f"{BASE}/Questionnaire/phq9", patient_user)

    assert response.status_code == 200
    assert response.json()["code"][0]["code"] == "44249-1"


# --- Searches ---


def test_patient_by_identifier_and_by_family_and_birthdate(
    client, coordinator, patient, other_patient
):
    by_identifier = get(
        client,
        f"{BASE}/Patient",
        coordinator,
        identifier=f"urn:ietf:rfc:3986|urn:uuid:{patient.external_id}",
    ).json()
    by_name = get(
        client,
        f"{BASE}/Patient",
        coordinator,
        family="pati",
        birthdate=patient.birth_date.isoformat(),
    ).json()

    assert [p["id"] for p in entries(by_identifier)] == [str(patient.external_id)]
    assert [p["id"] for p in entries(by_name)] == [str(patient.external_id)]
    assert by_name["type"] == "searchset"


def test_a_search_never_shows_another_clinic(client, outsider, patient):
    bundle = get(client, f"{BASE}/Patient", outsider, family="Patient").json()

    assert entries(bundle) == []


def test_a_search_naming_another_clinics_patient_is_a_logged_404(client, outsider, patient):
    response = get(client, f"{BASE}/Observation", outsider, patient=patient.external_id)

    assert response.status_code == 404
    assert str(patient.external_id) not in response.content.decode()
    assert AccessLogEntry.objects.filter(
        patient=patient, actor=outsider, action=AccessAction.REFUSED
    ).exists()


def test_observations_by_category_code_and_date(client, clinician, record):
    def search(**params):
        bundle = get(
            client, f"{BASE}/Observation", clinician, patient=record.external_id, **params
        ).json()
        return sorted(o["code"]["coding"][0]["code"] for o in entries(bundle))

    assert search(category="vital-signs") == ["2708-6", "8462-4", "8480-6", "8867-4", "9279-1"]
    assert search(category="survey") == ["44261-6"]
    assert search(code="http://loinc.org|8480-6,8462-4") == ["8462-4", "8480-6"]
    assert search(code="44261-6") == ["44261-6"]
    later = (timezone.now() + timezone.timedelta(days=2)).date().isoformat()
    assert search(category="vital-signs", date=f"ge{later}") == []
    assert len(search(date=f"lt{later}")) == 6


def test_count_pages_with_next_links_to_the_end(client, clinician, record):
    seen, url, pages = [], f"{BASE}/Observation?_count=2&patient={record.external_id}", 0
    while url:
        bundle = client.get(url, headers=get_headers(clinician)).json()
        seen += [o["id"] for o in entries(bundle)]
        url, pages = next_link(bundle), pages + 1

    assert len(seen) == len(set(seen)) == 6
    assert pages == 3


def get_headers(user):
    return bearer(user)


def test_last_updated_filters(client, coordinator, patient):
    future = (timezone.now() + timezone.timedelta(days=1)).date().isoformat()

    assert (
        entries(get(client, f"{BASE}/Patient", coordinator, _lastUpdated=f"ge{future}").json())
        == []
    )
    assert entries(get(client, f"{BASE}/Patient", coordinator, _lastUpdated=f"lt{future}").json())


def test_a_search_logs_each_resource_listed_in_one_insert(
    client, clinician, record, django_assert_max_num_queries
):
    before = AccessLogEntry.objects.count()

    bundle = get(client, f"{BASE}/Observation", clinician, patient=record.external_id).json()

    rows = AccessLogEntry.objects.order_by("-id")[: AccessLogEntry.objects.count() - before]
    assert len(entries(bundle)) == 6
    assert {(r.action, r.patient_id) for r in rows} == {(AccessAction.LIST, record.pk)}
    assert {r.object_id for r in rows} >= {o["id"] for o in entries(bundle)}


# --- Who sees what ---


def test_a_therapist_with_the_measures_scope_sees_scores_not_vitals(client, therapist, record):
    bundle = get(client, f"{BASE}/Observation", therapist, patient=record.external_id).json()

    assert [o["code"]["coding"][0]["code"] for o in entries(bundle)] == ["44261-6"]
    assert entries(get(client, f"{BASE}/MedicationAdministration", therapist).json()) == []
    assert entries(get(client, f"{BASE}/Appointment", therapist).json()) == []
    (shown,) = entries(get(client, f"{BASE}/Patient", therapist).json())
    assert shown["id"] == str(record.external_id)
    disclosed = AccessLogEntry.objects.filter(actor=therapist, patient=record)
    assert set(disclosed.values_list("action", flat=True)) == {AccessAction.DISCLOSE}


def test_a_therapist_with_the_schedule_scope_sees_sessions_without_staff_names(
    client, record, clinician
):
    scheduler = UserFactory(role=Role.THERAPIST, clinic=None, email="sched@example.org")
    authorize(record, scheduler, scopes=("schedule",), by=clinician)

    response = get(client, f"{BASE}/Patient/{record.external_id}/$everything", scheduler)

    assert types_of(response.json()) == ["Appointment", "Encounter", "Patient"]
    assert clinician.full_name not in response.content.decode()


def test_a_therapist_revoked_a_moment_ago_sees_nothing(client, therapist, record, clinician):
    SharingAuthorization.objects.filter(therapist=therapist).update(revoked_at=timezone.now())

    assert entries(get(client, f"{BASE}/Observation", therapist).json()) == []
    assert entries(get(client, f"{BASE}/Patient", therapist).json()) == []
    assert get(client, f"{BASE}/Patient/{record.external_id}", therapist).status_code == 404
    assert (
        get(client, f"{BASE}/Patient/{record.external_id}/$everything", therapist).status_code
        == 404
    )


def test_a_patient_sees_their_scores_but_not_the_dosing_record(client, patient_user, record):
    bundle = get(client, f"{BASE}/Patient/{record.external_id}/$everything", patient_user).json()

    types = types_of(bundle)
    assert {"QuestionnaireResponse", "EpisodeOfCare", "Consent"} <= set(types)
    assert "MedicationAdministration" not in types
    assert all(
        o["category"][0]["coding"][0]["code"] == "survey"
        for o in entries(bundle)
        if o["resourceType"] == "Observation"
    )


# --- $everything ---


def test_everything_holds_every_type_about_the_patient(client, clinician, record):
    bundle = get(client, f"{BASE}/Patient/{record.external_id}/$everything", clinician).json()

    assert bundle["type"] == "searchset"
    assert types_of(bundle) == [
        "Appointment",
        "CarePlan",
        "Condition",
        "Consent",
        "Encounter",
        "EpisodeOfCare",
        "MedicationAdministration",
        "Observation",
        "Patient",
        "QuestionnaireResponse",
    ]
    assert schema_errors(bundle) == []
    patient_ids = {r["id"] for r in entries(bundle) if r["resourceType"] == "Patient"}
    assert patient_ids == {str(record.external_id)}


def test_everything_pages_with_the_same_queries_per_page(
    client, clinician, record, django_assert_max_num_queries
):
    url = f"{BASE}/Patient/{record.external_id}/$everything?_count=3"
    headers = get_headers(clinician)
    seen = []
    while url:
        with django_assert_max_num_queries(20):
            bundle = client.get(url, headers=headers).json()
        seen += [(r["resourceType"], r["id"]) for r in entries(bundle)]
        url = next_link(bundle)

    everything = get(client, f"{BASE}/Patient/{record.external_id}/$everything", clinician).json()
    assert len(seen) == len(set(seen)) == len(entries(everything))


def test_everything_of_another_clinics_patient_is_404(client, outsider, record):
    assert (
        get(client, f"{BASE}/Patient/{record.external_id}/$everything", outsider).status_code == 404
    )


def test_everything_takes_type_and_since(client, clinician, record):
    only = get(
        client,
        f"{BASE}/Patient/{record.external_id}/$everything",
        clinician,
        _type="Condition,Encounter",
    ).json()
    later = (timezone.now() + timezone.timedelta(days=1)).isoformat()
    none = get(
        client, f"{BASE}/Patient/{record.external_id}/$everything", clinician, _since=later
    ).json()

    assert types_of(only) == ["Condition", "Encounter"]
    assert entries(none) == []
