"""The Messages parts of other apps' pages: the chart (staff), the portal home (the patient)
and the shared record (the therapist, only under a live authorisation)."""

import pytest
from django.urls import reverse

from kapcare.messaging import sections
from kapcare.messaging.tests.conftest import revoke
from kapcare.messaging.tests.factories import patient_thread, therapist_thread


def chart(patient) -> str:
    return reverse("patients:chart", args=[patient.external_id])


def shared_record(patient) -> str:
    return reverse("sharing:shared_record", args=[patient.external_id])


@pytest.fixture
def threads(patient, coordinator, clinician, therapist, authorisation):
    return (
        patient_thread(patient, coordinator, subject="Before your next visit"),
        therapist_thread(patient, therapist, by=clinician, subject="Integration plan"),
    )


def test_chart_lists_the_threads_about_the_patient_and_links_to_a_new_one(
    client, clinician, patient, other_patient, coordinator, threads
):
    patient_thread(other_patient, coordinator, subject="About Olive")
    client.force_login(clinician)

    page = client.get(chart(patient)).content.decode()

    assert 'id="messages-heading"' in page
    assert "Before your next visit" in page
    assert "Integration plan" in page
    assert "About Olive" not in page
    assert reverse("messaging:staff_new", args=[patient.external_id]) in page


def test_portal_card_shows_the_patients_threads_and_unread(client, patient_user, threads):
    client.force_login(patient_user)

    page = client.get(reverse("portal:home")).content.decode()

    assert "Before your next visit" in page
    assert "1 unread" in page
    assert "Integration plan" not in page
    assert reverse("messaging:portal_new") in page


def test_shared_record_shows_the_therapists_own_threads_and_a_new_link(
    client, therapist, patient, clinician, colleague, colleague_authorisation, threads
):
    therapist_thread(patient, colleague, by=clinician, subject="For Cleo only")
    client.force_login(therapist)

    page = client.get(shared_record(patient)).content.decode()

    assert 'id="shared-messages-heading"' in page
    assert "Integration plan" in page
    assert "Before your next visit" not in page
    assert "For Cleo only" not in page
    assert reverse("messaging:therapist_new", args=[patient.external_id]) in page


def test_shared_section_is_nothing_once_the_authorisation_is_revoked(
    rf, therapist, patient, patient_user, authorisation, threads
):
    request = rf.get("/")
    request.user = therapist
    assert sections.shared_section(request, patient) is not None

    revoke(authorisation, patient_user)

    assert sections.shared_section(request, patient) is None


def test_chart_section_runs_the_same_queries_for_1_or_30_threads(
    rf, coordinator, patient, django_assert_max_num_queries
):
    request = rf.get("/")
    request.user = coordinator
    patient_thread(patient, coordinator)
    with django_assert_max_num_queries(2) as one:
        sections.chart_section(request, patient)
    for _ in range(29):
        patient_thread(patient, coordinator)

    with django_assert_max_num_queries(len(one.captured_queries)):
        context = sections.chart_section(request, patient)

    assert len(context["threads"]) == sections.SHOWN
    assert context["has_more"]
