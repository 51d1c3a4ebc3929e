"""`/api/v1/patients/{id}/estimates`: the front desk issues (201, with a PDF readable with
the same token), staff and the patient read, a therapist gets nothing, another clinic 404,
a wrong episode 422 at its field. Money is a string."""

import uuid

import pytest

from kapcare.accounts.models import ApiToken
from kapcare.audit.models import AccessLogEntry
from kapcare.billing.models import GoodFaithEstimate
from tests.factories import authorize, open_episode


def bearer(user) -> dict:
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def episode(patient, clinician):
    return open_episode(patient, clinician, model="standalone")


def url(patient) -> str:
    return f"/api/v1/patients/{patient.external_id}/estimates"


def issue(client, user, patient, episode):
    return client.post(
        url(patient),
        {"episode_id": str(episode.external_id)},
        content_type="application/json",
        headers=bearer(user),
    )


def test_the_front_desk_issues_an_estimate_and_reads_its_pdf_with_the_same_token(
    client, coordinator, patient, episode
):
    headers = bearer(coordinator)

    response = client.post(
        url(patient),
        {"episode_id": str(episode.external_id)},
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == 201
    body = response.json()
    assert body["total"] == "2850.00"
    assert body["version"] == 1
    assert body["episode_id"] == str(episode.external_id)
    pdf = client.get(body["pdf_url"], headers=headers)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_staff_and_the_patient_list_the_estimates(
    client, coordinator, clinician, patient_user, patient, episode
):
    issue(client, coordinator, patient, episode)

    for user in (clinician, patient_user):
        response = client.get(url(patient), headers=bearer(user))
        assert response.status_code == 200
        assert [item["version"] for item in response.json()["items"]] == [1]
    assert AccessLogEntry.objects.filter(patient=patient, action="view").exists()


@pytest.mark.parametrize("persona", ["clinician", "nurse", "patient_user", "therapist"])
def test_only_the_front_desk_and_the_admin_issue(client, request, persona, patient, episode):
    response = issue(client, request.getfixturevalue(persona), patient, episode)

    assert response.status_code == 403
    assert not GoodFaithEstimate.objects.exists()


def test_a_therapist_reads_no_estimate(client, therapist, coordinator, patient, episode):
    body = issue(client, coordinator, patient, episode).json()

    assert client.get(url(patient), headers=bearer(therapist)).status_code == 403
    assert client.get(body["pdf_url"], headers=bearer(therapist)).status_code == 403


def test_another_clinic_gets_404_and_the_attempt_is_logged(
    client, outsider, coordinator, patient, episode
):
    body = issue(client, coordinator, patient, episode).json()

    assert issue(client, outsider, patient, episode).status_code == 404
    assert client.get(body["pdf_url"], headers=bearer(outsider)).status_code == 404
    assert AccessLogEntry.objects.filter(patient=patient, action="refused").count() == 2


@pytest.mark.parametrize(
    "episode_id", [str(uuid.uuid4()), "not-a-uuid"], ids=["unknown", "not-a-uuid"]
)
def test_a_wrong_episode_is_refused_at_its_field(client, coordinator, patient, episode_id):
    response = client.post(
        url(patient),
        {"episode_id": episode_id},
        content_type="application/json",
        headers=bearer(coordinator),
    )

    assert response.status_code == 422
    assert "episode_id" in str(response.json())


def test_another_patients_episode_is_refused(
    client, coordinator, patient, other_patient, clinician
):
    theirs = open_episode(other_patient, clinician)

    assert issue(client, coordinator, patient, theirs).status_code == 422


def test_a_therapist_the_patient_shares_everything_with_still_reads_no_money(
    client, therapist, coordinator, clinician, patient, episode
):
    authorize(
        patient,
        therapist,
        scopes=("measures", "schedule", "session_summaries", "safety_alerts"),
        by=clinician,
    )
    body = issue(client, coordinator, patient, episode).json()

    assert client.get(url(patient), headers=bearer(therapist)).status_code == 403
    assert client.get(body["pdf_url"], headers=bearer(therapist)).status_code == 403
