"""FHIR bulk export (hl7.org/fhir/uv/bulkdata/export.html): kick-off → poll → manifest →
NDJSON, `_type` and `_since`, cancel, who may start which level, a therapist revoked after
the kick-off getting nothing, the access log of each file handed over."""

import datetime as dt
import json

import pytest
from django.test import override_settings
from django.utils import timezone

from kapcare.accounts.models import Role
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents.models import SharingAuthorization
from kapcare.fhir.bulk import services
from kapcare.fhir.bulk.models import ExportFile, ExportJob, ExportStatus
from kapcare.fhir.tests.records import (
    bearer,
    dose_time,
    frozen_in_session,
    full_record,
    schema_errors,
)
from tests.factories import UserFactory

BASE = "/fhir/r4"
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}
# The task backend that keeps what is enqueued without running it: an export "under way".
QUEUED_ONLY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def record(patient, clinician, therapist):
    dose_at = dose_time()
    with frozen_in_session(dose_at):
        full_record(patient, clinician, dose_at, therapist, scopes=("measures",))
        yield patient


def kick_off(client, user, path=f"{BASE}/Patient/$export", capture=None, **params):
    headers = {**bearer(user), **ASYNC}
    if capture is None:
        return client.get(path, params, headers=headers), headers
    with capture(execute=True):
        response = client.get(path, params, headers=headers)
    return response, headers


def status_path(response) -> str:
    return response["Content-Location"].removeprefix("http://testserver")


def ndjson(client, url, headers) -> list[dict]:
    response = client.get(url.removeprefix("http://testserver"), headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+ndjson"
    body = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in body.splitlines()]


def test_kick_off_poll_manifest_and_ndjson_for_the_clinic_admin(
    client, record, clinic_admin, django_capture_on_commit_callbacks
):
    response, headers = kick_off(
        client, clinic_admin, f"{BASE}/$export", django_capture_on_commit_callbacks
    )

    assert response.status_code == 202
    assert response["Content-Location"].startswith("http://testserver/fhir/r4/$export-status/")
    manifest_response = client.get(status_path(response), headers=headers)
    assert manifest_response.status_code == 200
    manifest = manifest_response.json()
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"] == "http://testserver/fhir/r4/$export"
    assert manifest["transactionTime"]
    types = {item["type"] for item in manifest["output"]}
    assert {"Patient", "Observation", "MedicationAdministration", "Questionnaire"} <= types
    for item in manifest["output"]:
        resources = ndjson(client, item["url"], headers)
        assert len(resources) == item["count"]
        for resource in resources:
            assert resource["resourceType"] == item["type"]
            assert schema_errors(resource) == []
    patients = [
        r
        for i in manifest["output"]
        if i["type"] == "Patient"
        for r in ndjson(client, i["url"], headers)
    ]
    assert [p["id"] for p in patients] == [str(record.external_id)]


def test_status_is_202_with_progress_while_the_export_waits(client, record, clinic_admin):
    with override_settings(TASKS=QUEUED_ONLY):
        response, headers = kick_off(client, clinic_admin)
        status = client.get(status_path(response), headers=headers)

    assert status.status_code == 202
    assert status["X-Progress"] == "Queued"
    assert status["Retry-After"] == "5"


def test_type_and_since_are_honoured(
    client, record, clinic_admin, django_capture_on_commit_callbacks
):
    response, headers = kick_off(
        client,
        clinic_admin,
        capture=django_capture_on_commit_callbacks,
        _type="Patient,Observation",
    )
    manifest = client.get(status_path(response), headers=headers).json()
    assert {item["type"] for item in manifest["output"]} == {"Patient", "Observation"}

    services.cancel(ExportJob.objects.get())
    later = (timezone.now() + dt.timedelta(days=1)).isoformat()
    response, headers = kick_off(
        client, clinic_admin, capture=django_capture_on_commit_callbacks, _since=later
    )
    manifest = client.get(status_path(response), headers=headers).json()
    assert manifest["output"] == []


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"_type": "Practitioner"}, "_type"),
        ({"_type": "Nonsense"}, "_type"),
        ({"_since": "yesterday"}, "_since"),
        ({"_outputFormat": "text/csv"}, "_outputFormat"),
        ({"_typeFilter": "Observation?code=x"}, "_typeFilter"),
    ],
)
def test_a_request_kapcare_cannot_honour_is_400_naming_it(client, clinic_admin, params, named):
    response, _ = kick_off(client, clinic_admin, **params)

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert named in response.json()["issue"][0]["diagnostics"]
    assert not ExportJob.objects.exists()


def test_without_prefer_respond_async_it_is_400(client, clinic_admin):
    response = client.get(f"{BASE}/Patient/$export", headers=bearer(clinic_admin))

    assert response.status_code == 400
    assert "respond-async" in response.json()["issue"][0]["diagnostics"]


def test_no_token_is_401(client):
    response = client.get(f"{BASE}/$export", headers=ASYNC)

    assert response.status_code == 401


@pytest.mark.parametrize("who", ["coordinator", "clinician", "nurse", "therapist", "patient_user"])
def test_only_the_clinic_admin_may_start_a_system_export(client, request, who):
    response, _ = kick_off(client, request.getfixturevalue(who), f"{BASE}/$export")

    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_one_export_at_a_time_per_person(client, clinic_admin):
    with override_settings(TASKS=QUEUED_ONLY):
        kick_off(client, clinic_admin)
        second, _ = kick_off(client, clinic_admin)

    assert second.status_code == 429


def test_delete_cancels_and_removes_the_files(
    client, record, clinic_admin, django_capture_on_commit_callbacks
):
    response, headers = kick_off(client, clinic_admin, capture=django_capture_on_commit_callbacks)
    path = status_path(response)
    file_url = client.get(path, headers=headers).json()["output"][0]["url"]

    assert client.delete(path, headers=headers).status_code == 202
    assert client.get(path, headers=headers).status_code == 404
    assert (
        client.get(file_url.removeprefix("http://testserver"), headers=headers).status_code == 404
    )
    assert not ExportFile.objects.exists()
    assert ExportJob.objects.get().status == ExportStatus.CANCELLED


def test_someone_else_cannot_read_the_status_or_the_files(
    client, record, clinic_admin, coordinator, django_capture_on_commit_callbacks
):
    response, headers = kick_off(client, clinic_admin, capture=django_capture_on_commit_callbacks)
    path = status_path(response)
    file_url = client.get(path, headers=headers).json()["output"][0]["url"]
    others = bearer(coordinator)

    assert client.get(path, headers=others).status_code == 404
    assert client.get(file_url.removeprefix("http://testserver"), headers=others).status_code == 404
    assert client.delete(path, headers=others).status_code == 404


def test_a_therapist_exports_only_what_their_scopes_allow(
    client, record, therapist, django_capture_on_commit_callbacks
):
    response, headers = kick_off(client, therapist, capture=django_capture_on_commit_callbacks)
    manifest = client.get(status_path(response), headers=headers).json()

    # Authorised for measures only: the patient and the questionnaires, no vital signs.
    observations = [
        resource
        for item in manifest["output"]
        if item["type"] == "Observation"
        for resource in ndjson(client, item["url"], headers)
    ]
    assert observations
    assert {o["category"][0]["coding"][0]["code"] for o in observations} == {"survey"}
    assert "MedicationAdministration" not in {item["type"] for item in manifest["output"]}


def test_a_therapist_revoked_after_the_kick_off_gets_nothing(
    client, record, therapist, django_capture_on_commit_callbacks
):
    response, headers = kick_off(client, therapist, capture=django_capture_on_commit_callbacks)
    path = status_path(response)
    file_url = client.get(path, headers=headers).json()["output"][0]["url"]

    SharingAuthorization.objects.filter(therapist=therapist).update(revoked_at=timezone.now())

    assert (
        client.get(file_url.removeprefix("http://testserver"), headers=headers).status_code == 404
    )
    assert client.get(path, headers=headers).status_code == 404
    assert not ExportFile.objects.exists()


def test_a_therapist_revoked_before_the_export_runs_exports_nothing(
    client, record, therapist, django_capture_on_commit_callbacks
):
    SharingAuthorization.objects.filter(therapist=therapist).update(revoked_at=timezone.now())
    response, headers = kick_off(client, therapist, capture=django_capture_on_commit_callbacks)

    assert client.get(status_path(response), headers=headers).json()["output"] == []


def test_each_file_handed_over_is_in_the_access_log(
    client, record, clinic_admin, django_capture_on_commit_callbacks
):
    response, headers = kick_off(
        client, clinic_admin, capture=django_capture_on_commit_callbacks, _type="Observation"
    )
    (item, *_) = client.get(status_path(response), headers=headers).json()["output"]
    before = AccessLogEntry.objects.filter(action=AccessAction.EXPORT).count()

    ndjson(client, item["url"], headers)

    rows = AccessLogEntry.objects.filter(action=AccessAction.EXPORT)
    assert rows.count() == before + 1
    assert rows.latest("pk").patient_id == record.pk


def test_files_expire_after_the_keeping_time(
    client, record, clinic_admin, django_capture_on_commit_callbacks, settings
):
    response, headers = kick_off(client, clinic_admin, capture=django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()

    assert services.expire_old(timezone.now()) == 0
    assert (
        services.expire_old(job.finished_at + settings.FHIR_EXPORT_KEEP + dt.timedelta(seconds=1))
        == 1
    )
    assert not ExportFile.objects.exists()
    assert client.get(status_path(response), headers=headers).status_code == 404


def test_running_twice_writes_once(record, clinic_admin):
    asked = services.read_request(services.ExportLevel.PATIENT, {})
    with override_settings(TASKS=QUEUED_ONLY):
        job = services.kick_off(clinic_admin, asked, "http://testserver/fhir/r4/Patient/$export")
    services.run(job.pk)
    files = ExportFile.objects.count()
    services.run(job.pk)

    assert ExportFile.objects.count() == files > 0


def test_the_capability_statement_names_the_export_operations(client):
    statement = client.get(f"{BASE}/metadata").json()

    assert statement["rest"][0]["operation"][0]["name"] == "export"
    (patient,) = [e for e in statement["rest"][0]["resource"] if e["type"] == "Patient"]
    assert "export" in {operation["name"] for operation in patient["operation"]}


def exported_patients(client, user, capture) -> set[str]:
    response, headers = kick_off(client, user, capture=capture, _type="Patient")
    manifest = client.get(status_path(response), headers=headers).json()
    return {r["id"] for item in manifest["output"] for r in ndjson(client, item["url"], headers)}


def test_a_patient_exports_only_their_own_record(
    client, record, other_patient, patient_user, django_capture_on_commit_callbacks
):
    assert exported_patients(client, patient_user, django_capture_on_commit_callbacks) == {
        str(record.external_id)
    }


def test_another_clinics_admin_exports_none_of_this_clinics_patients(
    client, record, outsider_patient, other_clinic, django_capture_on_commit_callbacks
):
    admin = UserFactory(email="otto@example.org", role=Role.ADMIN, clinic=other_clinic)

    exported = exported_patients(client, admin, django_capture_on_commit_callbacks)

    assert str(record.external_id) not in exported
    assert exported == {str(outsider_patient.external_id)}
