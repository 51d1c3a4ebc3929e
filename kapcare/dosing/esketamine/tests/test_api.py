"""`GET /api/v1/drugs`: the clinic's drugs, for its staff only; and esketamine's first-dose
rule as the gates API reports it."""

from decimal import Decimal

import pytest

from kapcare.accounts.models import ApiToken
from kapcare.dosing.esketamine.tests.fixtures import NOW, at, certified, prescribed
from kapcare.dosing.models import DosingRecord


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


def test_the_gates_api_gives_the_first_treatments_56_mg_as_the_reason(
    client, clinician, patient, patient_user
):
    """A first treatment at 84 mg (here written before the rule refused it at the
    prescription) blocks the dose gate, with the label's reason, through the API."""
    record = prescribed(patient, clinician, patient_user, dose_mg="56", first=True)
    DosingRecord.objects.filter(pk=record.pk).update(dose_mg=Decimal(84))
    _, token = ApiToken.issue(clinician, "tests")

    with at(NOW):
        response = client.get(
            f"/api/v1/dosing-sessions/{record.session.external_id}/gates",
            headers={"Authorization": f"Bearer {token}"},
        )

    dose = next(gate for gate in response.json() if gate["rule"] == "dose")
    assert dose["passed"] is False
    assert dose["reason"].startswith("84 mg cannot be the patient's first esketamine treatment")


def test_the_dosing_session_api_names_esketamine_as_the_drug(
    client, clinician, patient, patient_user
):
    record = prescribed(patient, clinician, patient_user)
    headers = {"Authorization": f"Bearer {ApiToken.issue(clinician, 'tests')[1]}"}

    with at(NOW):
        one = client.get(f"/api/v1/dosing-sessions/{record.session.external_id}", headers=headers)
        listed = client.get("/api/v1/dosing-sessions", {"status": "planned"}, headers=headers)

    esketamine = {"code": "esketamine", "name": "Esketamine (Spravato)"}
    assert one.json()["drug"] == esketamine
    rows = {row["id"]: row["drug"] for row in listed.json()["items"]}
    assert rows[str(record.session.external_id)] == esketamine
