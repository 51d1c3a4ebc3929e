"""GET /api/v1/therapists: staff read their clinic's directory with its verification flags;
a patient reads the verified entries of their clinic; anyone else is refused."""

import datetime as dt

from kapcare.accounts.models import ApiToken
from kapcare.audit.models import AccessLogEntry
from kapcare.therapists.tests.directory_factories import add_therapist, verify

URL = "/api/v1/therapists"


def bearer(user):
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def test_staff_get_their_clinics_directory_with_each_credentials_flags(
    client, coordinator, clinician, outsider
):
    vera = verify(
        add_therapist(coordinator, full_name="Vera Verified", fee_per_session=150), clinician
    )
    add_therapist(coordinator, email="u@x.example", full_name="Una Unchecked")
    add_therapist(outsider, email="far@x.example", full_name="Far Away")

    response = client.get(URL, headers=bearer(coordinator))

    assert response.status_code == 200
    body = response.json()
    assert [t["name"] for t in body] == ["Una Unchecked", "Vera Verified"]
    assert body[1] == {
        "id": str(vera.external_id),
        "name": "Vera Verified",
        "credentials": "",
        "email": "tess@practice.example",
        "practice_name": "",
        "phone": "",
        "city": "Nashville",
        "state": "TN",
        "website": "",
        "licence_type": "lmft",
        "licence_state": "TN",
        "licence_expires_on": vera.licence_expires_on.isoformat(),
        "licence_verified": True,
        "training_programme": "Polaris Insight Center KAP training",
        "training_completed_on": "2024-05-01",
        "training_verified": True,
        "is_askp3_member": False,
        "askp3_verified": False,
        "is_verified": True,
        "modalities": ["cbt", "ifs"],
        "fee_per_session": "150.00",
        "is_accepting_patients": True,
    }
    unchecked = body[0]
    assert (unchecked["licence_verified"], unchecked["training_verified"]) == (False, False)
    assert unchecked["is_verified"] is False


def test_an_expired_licence_is_not_verified_even_when_checked(client, coordinator):
    verify(add_therapist(coordinator, licence_expires_on=dt.date(2025, 1, 31)), coordinator)

    body = client.get(URL, headers=bearer(coordinator)).json()

    assert body[0]["licence_verified"] is True
    assert body[0]["is_verified"] is False


def test_a_patient_gets_the_verified_entries_of_their_clinic_accepting_first(
    client, coordinator, outsider, patient_user, patient
):
    verify(
        add_therapist(coordinator, full_name="Abe Full", is_accepting_patients=False), coordinator
    )
    verify(add_therapist(coordinator, email="z@x.example", full_name="Zoe Open"), coordinator)
    add_therapist(coordinator, email="u@x.example", full_name="Una Unchecked")
    verify(add_therapist(outsider, email="far@x.example", full_name="Far Away"), outsider)

    response = client.get(URL, headers=bearer(patient_user))

    assert response.status_code == 200
    assert [t["name"] for t in response.json()] == ["Zoe Open", "Abe Full"]
    assert all(t["is_verified"] for t in response.json())


def test_a_therapist_is_refused_even_their_own_entry(client, coordinator, therapist):
    add_therapist(coordinator, email=therapist.email)

    response = client.get(URL, headers=bearer(therapist))

    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow this."}


def test_without_a_token_the_answer_is_401(client, db):
    assert client.get(URL).status_code == 401


def test_reading_the_directory_logs_nothing_and_takes_fixed_queries(
    client, coordinator, django_assert_max_num_queries
):
    add_therapist(coordinator)
    headers = bearer(coordinator)
    with django_assert_max_num_queries(10) as one:
        client.get(URL, headers=headers)
    for n in range(4):
        add_therapist(coordinator, email=f"t{n}@x.example")

    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get(URL, headers=headers).json()) == 5
    assert not AccessLogEntry.objects.exists()
