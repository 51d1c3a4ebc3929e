"""`GET /api/v1/drugs`: the clinic's drugs, for its staff only."""

import pytest

from kapcare.accounts.models import ApiToken
from kapcare.dosing.esketamine.tests.fixtures import certified


def get(client, user):
    _, token = ApiToken.issue(user, "tests")
    return client.get("/api/v1/drugs", headers={"Authorization": f"Bearer {token}"})


def test_the_clinic_lists_ketamine_and_esketamine_once_certified(client, clinician, clinic):
    certified(clinic)

    response = get(client, clinician)

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": "ketamine",
            "name": "Ketamine",
            "routes": ["iv", "im", "sublingual", "intranasal"],
            "min_observation_minutes": 60,
            "rems": False,
        },
        {
            "id": "esketamine",
            "name": "Esketamine (Spravato)",
            "routes": ["intranasal"],
            "min_observation_minutes": 120,
            "rems": True,
        },
    ]


def test_a_clinic_without_esketamine_lists_ketamine_only(client, nurse):
    assert [drug["id"] for drug in get(client, nurse).json()] == ["ketamine"]


@pytest.mark.parametrize("role", ["clinic_admin", "clinician", "coordinator", "nurse"])
def test_clinic_staff_read_the_drugs(client, request, role):
    assert get(client, request.getfixturevalue(role)).status_code == 200


@pytest.mark.parametrize("role", ["patient_user", "therapist"])
def test_patients_and_therapists_are_refused(client, request, role):
    assert get(client, request.getfixturevalue(role)).status_code == 403


def test_without_a_token_the_api_asks_for_one(client, db):
    assert client.get("/api/v1/drugs").status_code == 401
