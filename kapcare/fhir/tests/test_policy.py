"""Every role against every FHIR address: each resource type read by id and searched,
`$everything`, `metadata` — for the clinic's four staff roles, the patient, another
patient, staff of another clinic, an outside therapist with every scope, one without an
authorisation, one revoked a second ago, and nobody. What each sees is what the pages
show them (kapcare/policy.py); a record out of reach is 404, a search finds nothing of
it. Every resource about a patient that is read or listed is in the access log.

The page-by-page matrix (tests/test_policy_matrix.py) leaves the `fhir` namespace to this
file; `test_every_fhir_address_is_in_the_matrix` fails when one is added without a row.
"""

import json

import pytest
from django.urls import URLPattern, get_resolver

from kapcare.accounts.models import Role
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessLogEntry
from kapcare.consents import services as consents
from kapcare.fhir.resources import SOURCES, STATIC_TYPES
from kapcare.fhir.tests.records import (
    bearer,
    dose_time,
    entries,
    frozen_in_session,
    full_record,
    get,
)
from kapcare.scopes import Scope
from tests.factories import PatientFactory, UserFactory, authorize

BASE = "/fhir/r4"
STAFF = {"coordinator", "clinician", "nurse", "clinic_admin"}
PERSONAS = [
    *sorted(STAFF),
    "patient_user",
    "neighbour",
    "outsider",
    "therapist",  # every scope
    "unauthorised_therapist",
    "revoked_therapist",
]
# Who finds the patient's rows of each type (the therapist under every scope).
SEES = {
    "Patient": STAFF | {"patient_user", "therapist"},
    "Practitioner": STAFF,  # the clinician who runs the session
    # The patient's clinic: also the clinic of the neighbour, another of its patients.
    "Organization": STAFF | {"patient_user", "neighbour", "therapist"},
    "EpisodeOfCare": STAFF | {"patient_user"},
    "Condition": STAFF | {"patient_user"},
    "CarePlan": STAFF | {"patient_user"},
    "Consent": STAFF | {"patient_user"},
    "Appointment": STAFF | {"patient_user", "therapist"},
    "Encounter": STAFF | {"patient_user", "therapist"},
    "MedicationAdministration": STAFF,
    # A questionnaire total; vital signs are staff's only (`test_vital_signs_are_staffs`).
    "Observation": STAFF | {"patient_user", "therapist"},
    "QuestionnaireResponse": STAFF | {"patient_user", "therapist"},
}
ADDRESSES = {
    "fhir:metadata",
    "fhir:search",
    "fhir:read",
    "fhir:everything",
    "fhir:unknown",
    # The bulk export's: kick-off by role here; status and files are the requester's own
    # (kapcare/fhir/bulk/tests: anyone else 404, a revocation since the kick-off voids it).
    "fhir:export",
    "fhir:patient-export",
    "fhir:export-status",
    "fhir:export-file",
}


def test_every_fhir_address_is_in_the_matrix():
    (fhir,) = [e for e in get_resolver().url_patterns if getattr(e, "namespace", "") == "fhir"]
    names = {f"fhir:{e.name}" for e in fhir.url_patterns if isinstance(e, URLPattern)}
    assert names == ADDRESSES
    assert set(SEES) | set(STATIC_TYPES) == set(SOURCES) | set(STATIC_TYPES)


@pytest.fixture
def world(request, clinic, patient, clinician, therapist):
    dose_at = dose_time()
    with frozen_in_session(dose_at):
        full_record(patient, clinician, dose_at, therapist, scopes=Scope.values)
        neighbour = UserFactory(role=Role.PATIENT, clinic=clinic, email="nina@example.org")
        PatientFactory(clinic=clinic, user=neighbour)
        revoked = UserFactory(role=Role.THERAPIST, clinic=None, email="rev@example.org")
        authorization = authorize(patient, revoked, scopes=Scope.values, by=clinician)
        consents.revoke_authorization(
            actor=Actor(user=clinician, ip_address="127.0.0.1"), authorization=authorization
        )
        users = {
            "neighbour": neighbour,
            "unauthorised_therapist": UserFactory(role=Role.THERAPIST, clinic=None),
            "revoked_therapist": revoked,
        }
        yield {
            "users": users,
            "ids": ids_of_the_record(patient, clinician),
            "patient": patient,
        }


def ids_of_the_record(patient, clinician) -> dict[str, str]:
    """One id of the patient's rows of each type, as their clinician finds them (of an
    Observation, a questionnaire total's: the last source's)."""
    found = {}
    for name, sources in SOURCES.items():
        for source in sources:
            rows = source.rows(clinician, patient=patient if source.is_patient_data else None)
            if name == "Practitioner":
                rows = rows.filter(pk=clinician.pk)
            elif name == "Organization":
                rows = rows.filter(pk=patient.clinic_id)
            row = rows.first()
            if row is not None:
                found[name] = str(row.external_id)
    return found


def persona(request, world, name):
    return world["users"].get(name) or request.getfixturevalue(name)


@pytest.mark.parametrize("resource_type", sorted(SEES))
@pytest.mark.parametrize("who", PERSONAS)
def test_a_read_answers_by_role(client, request, world, who, resource_type):
    user = persona(request, world, who)
    resource_id = world["ids"][resource_type]

    response = get(client, f"{BASE}/{resource_type}/{resource_id}", user)

    expected = 200 if who in SEES[resource_type] else 404
    assert response.status_code == expected, f"{who} reading {resource_type}"


@pytest.mark.parametrize("resource_type", sorted(SEES))
@pytest.mark.parametrize("who", PERSONAS)
def test_a_search_finds_by_role(client, request, world, who, resource_type):
    user = persona(request, world, who)

    bundle = get(client, f"{BASE}/{resource_type}", user).json()

    found = {r["id"] for r in entries(bundle)}
    assert (world["ids"][resource_type] in found) == (who in SEES[resource_type]), who


@pytest.mark.parametrize("who", PERSONAS)
def test_everything_answers_by_role(client, request, world, who):
    user = persona(request, world, who)
    patient = world["patient"]

    response = get(client, f"{BASE}/Patient/{patient.external_id}/$everything", user)

    if who in SEES["Patient"]:
        types = {r["resourceType"] for r in entries(response.json())}
        patient_types = {t for t, seers in SEES.items() if who in seers} - {
            "Practitioner",
            "Organization",
        }
        assert types == patient_types, who
        vital_signs = [r for r in entries(response.json()) if "valueQuantity" in r]
        assert bool(vital_signs) == (who in STAFF), who
    else:
        assert response.status_code == 404, who


@pytest.mark.parametrize(
    "path",
    [
        "/Patient",
        "/Patient/{patient}",
        "/Patient/{patient}/$everything",
        "/Questionnaire",
        "/Observation",
        "/Nothing/here",
    ],
)
def test_nobody_gets_401_everywhere_but_metadata(client, world, path):
    url = BASE + path.format(patient=world["patient"].external_id)

    assert client.get(url).status_code == 401
    assert client.get(f"{BASE}/metadata").status_code == 200


@pytest.mark.parametrize("who", PERSONAS)
def test_every_token_reads_the_questionnaires(client, request, world, who):
    user = persona(request, world, who)

    bundle = get(client, f"{BASE}/Questionnaire", user).json()

    assert {r["id"] for r in entries(bundle)} == {"phq9", "gad7", "pcl5", "cssrs-screen"}


@pytest.mark.parametrize("who", sorted(STAFF | {"patient_user", "therapist"}))
def test_every_patient_resource_shown_is_in_the_access_log(client, request, world, who):
    user = persona(request, world, who)
    patient = world["patient"]
    last = AccessLogEntry.objects.order_by("-id").values_list("id", flat=True).first()

    bundle = get(client, f"{BASE}/Patient/{patient.external_id}/$everything", user).json()

    logged = set(
        AccessLogEntry.objects.filter(actor=user, patient=patient, id__gt=last).values_list(
            "object_id", flat=True
        )
    )
    shown = {r["id"] for r in entries(bundle)}
    assert shown
    assert shown <= logged


def exported(client, user, capture, path) -> tuple[int, dict[str, set[str]]]:
    """The kick-off's status, and the ids exported of each type."""
    headers = {**bearer(user), "Prefer": "respond-async"}
    with capture(execute=True):
        response = client.get(f"{BASE}/{path}", headers=headers)
    if response.status_code != 202:
        return response.status_code, {}
    status = response["Content-Location"].removeprefix("http://testserver")
    found: dict[str, set[str]] = {}
    for item in client.get(status, headers=headers).json()["output"]:
        url = item["url"].removeprefix("http://testserver")
        body = b"".join(client.get(url, headers=headers).streaming_content).decode()
        found.setdefault(item["type"], set()).update(
            json.loads(line)["id"] for line in body.splitlines()
        )
    return 202, found


@pytest.mark.parametrize("who", PERSONAS)
def test_a_patient_level_export_holds_what_each_role_sees(
    client, request, world, who, django_capture_on_commit_callbacks
):
    user = persona(request, world, who)

    status, found = exported(client, user, django_capture_on_commit_callbacks, "Patient/$export")

    assert status == 202, who
    patient_types = {t for t, seers in SEES.items() if who in seers} - {
        "Practitioner",
        "Organization",
    }
    holding = {t for t in patient_types if world["ids"][t] in found.get(t, set())}
    assert holding == patient_types, who
    for resource_type, seers in SEES.items():
        if who not in seers:
            assert world["ids"][resource_type] not in found.get(resource_type, set()), who


@pytest.mark.parametrize("who", PERSONAS)
def test_a_system_export_is_the_clinic_admins(
    client, request, world, who, django_capture_on_commit_callbacks
):
    user = persona(request, world, who)

    status, found = exported(client, user, django_capture_on_commit_callbacks, "$export")

    assert status == (202 if who == "clinic_admin" else 403), who
    if who == "clinic_admin":
        assert world["ids"]["Patient"] in found["Patient"]
