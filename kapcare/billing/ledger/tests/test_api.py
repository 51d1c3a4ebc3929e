"""`/api/v1/patients/{id}/payments` and `/ledger`: the front desk records (201, money as
strings), a bad amount or method 422 at its field, staff and the patient read, a
therapist nothing (even one the patient authorised, and after revoking), another clinic
404."""

import pytest

from kapcare.accounts.models import ApiToken
from kapcare.audit.log import Actor
from kapcare.audit.models import AccessLogEntry
from kapcare.billing.ledger.models import Payment
from kapcare.billing.ledger.tests.factories import dose_done, pay, post
from kapcare.consents import services as consents
from tests.factories import authorize, open_episode


def bearer(user) -> dict:
    _, token = ApiToken.issue(user, "tests")
    return {"Authorization": f"Bearer {token}"}


def payments_url(patient) -> str:
    return f"/api/v1/patients/{patient.external_id}/payments"


def ledger_url(patient) -> str:
    return f"/api/v1/patients/{patient.external_id}/ledger"


def send(client, user, patient, body):
    return client.post(
        payments_url(patient), body, content_type="application/json", headers=bearer(user)
    )


def test_the_front_desk_records_a_payment_and_reads_the_ledger(
    client, coordinator, clinician, patient
):
    episode = open_episode(patient, clinician, model="standalone")
    post(dose_done(episode, clinician))

    created = send(
        client, coordinator, patient, {"amount": "475.00", "method": "check", "reference": "88"}
    )
    ledger = client.get(ledger_url(patient), headers=bearer(coordinator))

    assert created.status_code == 201
    assert created.json()["amount"] == "475.00"
    assert ledger.status_code == 200
    body = ledger.json()
    assert body["balance"] == "0.00"
    assert [line["amount"] for line in body["lines"]] == ["475.00", "0.00", "-475.00"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "abc", "method": "cash"}, "amount"),
        ({"amount": "4.999", "method": "cash"}, "amount"),
        ({"amount": "0", "method": "cash"}, "amount"),
        ({"amount": "475.00", "method": "barter"}, "method"),
        ({"amount": "475.00", "method": "processor"}, "reference"),
        ({"amount": 475.0, "method": "cash"}, "amount"),  # a float is not money
        ({"method": "cash"}, "amount"),
        (
            {
                "amount": "475.00",
                "method": "cash",
                "package_id": "00000000-0000-0000-0000-000000000000",
            },
            "package_id",
        ),
    ],
    ids=["text", "three-decimals", "zero", "method", "reference", "float", "missing", "package"],
)
def test_a_bad_payment_is_422_at_its_field(client, coordinator, patient, body, field):
    response = send(client, coordinator, patient, body)

    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert not Payment.objects.exists()


@pytest.mark.parametrize("persona", ["clinician", "nurse", "patient_user", "therapist"])
def test_only_the_front_desk_and_the_admin_record_payments(client, request, persona, patient):
    response = send(
        client, request.getfixturevalue(persona), patient, {"amount": "5.00", "method": "cash"}
    )

    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_staff_and_the_patient_read_payments_and_ledger_and_the_read_is_logged(
    client, coordinator, clinician, clinic_admin, patient_user, patient
):
    pay(patient, coordinator, amount="100.00")

    for user in (coordinator, clinician, clinic_admin, patient_user):
        listed = client.get(payments_url(patient), headers=bearer(user))
        assert listed.status_code == 200
        assert [item["amount"] for item in listed.json()["items"]] == ["100.00"]
        assert client.get(ledger_url(patient), headers=bearer(user)).json()["balance"] == (
            "-100.00"
        )
    assert AccessLogEntry.objects.filter(patient=patient, action="view").count() >= 8


def test_a_therapist_reads_nothing_authorised_or_revoked(client, therapist, patient):
    authorization = authorize(patient, therapist, scopes=("measures", "schedule"))

    for url in (payments_url(patient), ledger_url(patient)):
        assert client.get(url, headers=bearer(therapist)).status_code == 403
    consents.revoke_authorization(
        actor=Actor(user=patient.user, ip_address="127.0.0.1"), authorization=authorization
    )
    for url in (payments_url(patient), ledger_url(patient)):
        assert client.get(url, headers=bearer(therapist)).status_code == 403


def test_another_clinic_gets_404(client, outsider, patient, other_patient, patient_user):
    assert client.get(ledger_url(patient), headers=bearer(outsider)).status_code == 404
    assert send(client, outsider, patient, {"amount": "5.00", "method": "cash"}).status_code == (
        404
    )
    # A patient reads only their own.
    assert client.get(ledger_url(other_patient), headers=bearer(patient_user)).status_code == 404
