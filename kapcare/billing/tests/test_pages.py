"""The money side's pages: the coverage question (asked from series planning, history
kept, a problem at its field with what was typed kept), the staff's estimates page (issue
on request), the portal's estimates, the admin's code table (each edit a new version), and
their query counts flat as the records grow."""

import pytest
from django.urls import reverse

from kapcare.audit.log import Actor
from kapcare.billing import services
from kapcare.billing.models import BillingCode, Coverage, CoverageRecord, GoodFaithEstimate
from tests.factories import open_episode


@pytest.fixture
def episode(patient, clinician):
    return open_episode(patient, clinician, model="standalone")


def issue_many(episode, by, count):
    for _ in range(count):
        services.issue_estimate(
            actor=Actor(user=by, ip_address="127.0.0.1"),
            episode=episode,
            reason="Asked",
            requested=True,
        )


def test_series_planning_asks_the_coverage_question_until_it_is_answered(
    client, coordinator, episode, patient
):
    client.force_login(coordinator)
    plan = reverse("series:plan", args=[episode.external_id])
    coverage = reverse("billing:coverage", args=[patient.external_id])

    assert coverage in client.get(plan).content.decode()

    response = client.post(coverage, {"status": Coverage.UNINSURED, "next": plan}, follow=False)

    assert response.status_code == 302
    assert response["Location"] == plan
    assert coverage not in client.get(plan).content.decode()


def test_a_coverage_problem_is_shown_at_its_field_and_what_was_typed_is_kept(
    client, coordinator, patient
):
    client.force_login(coordinator)

    response = client.post(
        reverse("billing:coverage", args=[patient.external_id]),
        {"status": Coverage.FILING_CLAIM, "insurer": "Blue Cross of Tennessee"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter the member ID" in html
    assert 'value="Blue Cross of Tennessee"' in html
    assert not CoverageRecord.objects.exists()


def test_the_chart_shows_the_coverage(client, coordinator, patient):
    services.record_coverage(
        actor=Actor(user=coordinator, ip_address="127.0.0.1"),
        patient=patient,
        data=services.CoverageInput(status=Coverage.SELF_PAY, insurer="Cigna"),
    )
    client.force_login(coordinator)

    html = client.get(reverse("patients:chart", args=[patient.external_id])).content.decode()

    assert "Insured, paying for themselves" in html
    assert "Cigna" in html


def test_the_front_desk_issues_an_estimate_on_request_and_a_clinician_may_not(
    client, coordinator, clinician, patient, episode
):
    page = reverse("billing:patient_estimates", args=[patient.external_id])
    client.force_login(clinician)
    assert client.post(page).status_code == 403

    client.force_login(coordinator)
    response = client.post(page, follow=True)

    assert response.status_code == 200
    assert GoodFaithEstimate.objects.filter(patient=patient, is_requested=True).count() == 1
    assert "Issue an estimate now" in response.content.decode()


@pytest.mark.parametrize("count", [1, 12])
def test_the_estimates_pages_read_a_fixed_number_of_queries(
    client, coordinator, patient_user, patient, episode, count, django_assert_max_num_queries
):
    issue_many(episode, coordinator, count)

    client.force_login(coordinator)
    with django_assert_max_num_queries(16):
        assert (
            client.get(reverse("billing:patient_estimates", args=[patient.external_id])).status_code
            == 200
        )
    client.force_login(patient_user)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("billing:portal_estimates")).status_code == 200


def test_a_code_edit_is_a_new_version_and_the_old_one_stays(client, clinic_admin, clinic):
    current = services.code_table(clinic)["ketamine_drug"]
    client.force_login(clinic_admin)
    page = reverse("billing:code_edit", args=[current.external_id])

    response = client.post(
        page,
        {
            "system": "HCPCS",
            "code": "j3490",
            "description": current.description,
            "modifiers": "",
            "ndc": "0409-2051-05",
            "price": "",
            "is_active": "on",
            "source": current.source,
            "reason": "The vial we stock",
        },
    )

    assert response.status_code == 302
    versions = BillingCode.objects.filter(clinic=clinic, key="ketamine_drug").order_by("version")
    assert [(v.version, v.ndc) for v in versions] == [(1, ""), (2, "0409-2051-05")]
    assert services.code_table(clinic)["ketamine_drug"].ndc == "0409-2051-05"


def test_a_code_edit_needs_a_reason_and_a_valid_code(client, clinic_admin, clinic):
    current = services.code_table(clinic)["ketamine_drug"]
    client.force_login(clinic_admin)

    response = client.post(
        reverse("billing:code_edit", args=[current.external_id]),
        {"system": "HCPCS", "code": "J34", "description": "x", "source": "y", "reason": " "},
    )

    html = response.content.decode()
    assert "5 letters or digits" in html
    assert "Say why" in html or "This field is required" in html
    assert BillingCode.objects.filter(clinic=clinic, key="ketamine_drug").count() == 1


def test_the_code_table_lists_the_defaults_with_their_codes(client, clinic_admin):
    client.force_login(clinic_admin)

    html = client.get(reverse("billing:code_table")).content.decode()

    for code in ("96365", "96366", "96372", "J3490", "G2082", "G2083", "99213", "99214", "0820T"):
        assert code in html


@pytest.mark.parametrize("count", [1, 6])
def test_the_clinics_estimates_list_their_deadlines_and_the_unasked_in_fixed_queries(
    client, coordinator, clinician, clinic, count, django_assert_max_num_queries
):
    from kapcare.audit.models import AccessLogEntry
    from tests.clock import wall_clock
    from tests.factories import PatientFactory, plan_session

    patients = PatientFactory.create_batch(count, clinic=clinic)
    for days, patient in enumerate(patients, start=10):
        episode = open_episode(patient, clinician, model="standalone")
        plan_session(episode, clinician, starts_at=wall_clock(days, 10))
    issue_many(open_episode(patients[0], clinician, model="standalone"), coordinator, 1)
    client.force_login(coordinator)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("billing:clinic_estimates"))

    html = response.content.decode()
    assert all(patient.display_name in html for patient in patients)
    listed = AccessLogEntry.objects.filter(action="list", actor=coordinator)
    assert set(listed.values_list("patient_id", flat=True)) == {p.pk for p in patients}
