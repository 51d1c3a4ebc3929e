"""The coordinator's queue of ambiguous referrals, and the signed decision on each."""

import re

import pytest

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.patients.models import Patient
from kapcare.referrals.models import Referral, ReferralStatus, Resolution
from kapcare.referrals.tests.helpers import (
    condition,
    patient_resource,
    post_bundle,
    token_for,
    transaction,
)
from kapcare.screening.models import HistorySource, MedicalScreening
from tests.factories import PASSWORD, PatientFactory


def held_referral(client, clinic, coordinator, **patient_fields) -> tuple[Referral, list]:
    twins = [
        PatientFactory(
            clinic=clinic, given_name="Ada", family_name="Moreau", birth_date="1980-04-02"
        )
        for _ in range(2)
    ]
    bundle = transaction(
        patient_resource(**patient_fields),
        condition("http://hl7.org/fhir/sid/icd-10-cm", "I10", "Essential hypertension"),
    )
    post_bundle(client, token_for(coordinator), bundle)
    return Referral.objects.get(status=ReferralStatus.NEEDS_REVIEW), twins


def test_the_queue_lists_referrals_waiting_for_a_decision(client, clinic, coordinator):
    referral, _ = held_referral(client, clinic, coordinator)
    client.force_login(coordinator)

    response = client.get("/referrals/")

    assert response.status_code == 200
    assert f"/referrals/{referral.external_id}/" in response.content.decode()
    assert "Ada Moreau" in response.content.decode()


def test_the_queue_costs_the_same_queries_for_one_or_many(
    client, clinic, coordinator, django_assert_max_num_queries
):
    held_referral(client, clinic, coordinator)
    client.force_login(coordinator)
    with django_assert_max_num_queries(12) as few:
        client.get("/referrals/")
    for number in range(30):
        Referral.objects.create(
            clinic=clinic,
            digest=f"{number:064d}",
            received_by=coordinator,
            referred_name=f"Person {number}",
            referred_birth_date="1990-01-01",
            content={},
            status=ReferralStatus.NEEDS_REVIEW,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/referrals/")
    assert "Older referrals" in response.content.decode()


def test_opening_a_referral_shows_the_candidates_and_logs_the_read(client, clinic, coordinator):
    referral, twins = held_referral(client, clinic, coordinator)
    client.force_login(coordinator)

    response = client.get(f"/referrals/{referral.external_id}/")

    assert response.status_code == 200
    page = response.content.decode()
    for twin in twins:
        assert f"/patients/{twin.external_id}/" in page
    listed = AccessLogEntry.objects.filter(action=AccessAction.LIST, actor=coordinator)
    assert set(listed.values_list("patient_id", flat=True)) == {t.pk for t in twins}


def test_choosing_a_candidate_records_the_referral_on_them_signed(client, clinic, coordinator):
    referral, twins = held_referral(client, clinic, coordinator)
    client.force_login(coordinator)

    response = client.post(
        f"/referrals/{referral.external_id}/",
        {"patient": str(twins[1].external_id), "reauthentication": PASSWORD},
    )

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RESOLVED
    assert (referral.resolution, referral.patient_id) == (Resolution.MATCHED, twins[1].pk)
    assert referral.resolved_by_id == coordinator.pk
    assert referral.resolved_at is not None
    screening = MedicalScreening.objects.get(patient=twins[1])
    assert screening.history_source == HistorySource.REFERRER
    assert screening.condition_answers.get(
        contraindication__code="controlled_hypertension"
    ).reported_present
    assert not MedicalScreening.objects.filter(patient=twins[0]).exists()
    assert referral.response["entry"][0]["response"]["status"] == "200 OK"


def test_someone_else_registers_a_new_patient(client, clinic, coordinator):
    referral, _ = held_referral(client, clinic, coordinator)
    client.force_login(coordinator)

    client.post(
        f"/referrals/{referral.external_id}/", {"patient": "new", "reauthentication": PASSWORD}
    )

    referral.refresh_from_db()
    assert referral.resolution == Resolution.CREATED
    assert Patient.objects.filter(clinic=clinic, family_name="Moreau").count() == 3
    assert referral.patient.referrals.get() == referral


def test_a_wrong_password_decides_nothing_and_keeps_the_choice(client, clinic, coordinator):
    referral, twins = held_referral(client, clinic, coordinator)
    client.force_login(coordinator)

    response = client.post(
        f"/referrals/{referral.external_id}/",
        {"patient": str(twins[0].external_id), "reauthentication": "not it"},
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "That password is not right." in page
    assert re.search(f'value="{twins[0].external_id}"[^>]*checked', page)
    assert not re.search(f'value="{twins[1].external_id}"[^>]*checked', page)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.NEEDS_REVIEW


def test_no_choice_is_refused_at_the_field(client, clinic, coordinator):
    referral, _ = held_referral(client, clinic, coordinator)
    client.force_login(coordinator)

    response = client.post(f"/referrals/{referral.external_id}/", {"reauthentication": PASSWORD})

    assert response.status_code == 422
    assert "Choose the patient this referral is about" in response.content.decode()


def test_a_decided_referral_cannot_be_decided_again(client, clinic, coordinator):
    referral, twins = held_referral(client, clinic, coordinator)
    client.force_login(coordinator)
    url = f"/referrals/{referral.external_id}/"
    client.post(url, {"patient": str(twins[0].external_id), "reauthentication": PASSWORD})

    response = client.post(url, {"patient": "new", "reauthentication": PASSWORD})

    assert response.status_code == 200
    assert "decided by" in response.content.decode()
    assert Patient.objects.filter(family_name="Moreau").count() == 2


@pytest.mark.parametrize("persona", ["clinician", "nurse", "therapist", "patient_user"])
def test_only_the_front_desk_and_the_admin_review_referrals(client, clinic, persona, request):
    client.force_login(request.getfixturevalue(persona))

    assert client.get("/referrals/").status_code == 403


def test_another_clinics_referral_is_not_found(client, clinic, coordinator, outsider):
    referral, _ = held_referral(client, clinic, coordinator)
    outsider.role = "coordinator"
    outsider.save()
    client.force_login(outsider)

    assert client.get(f"/referrals/{referral.external_id}/").status_code == 404


def test_an_empty_post_is_refused_at_the_fields(client, clinic, coordinator):
    referral, _ = held_referral(client, clinic, coordinator)
    client.force_login(coordinator)

    response = client.post(f"/referrals/{referral.external_id}/", {})

    assert response.status_code == 422
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.NEEDS_REVIEW
