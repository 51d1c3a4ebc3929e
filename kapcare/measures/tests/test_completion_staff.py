"""Staff send questionnaire links and enter answers on a patient's behalf; who may."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.measures.models import (
    AlertKind,
    Assessment,
    AssessmentLink,
    AssessmentStatus,
    SafetyAlert,
    Source,
)

PHQ9_ANSWERS = {f"item_{n}": "1" for n in range(1, 9)} | {"item_9": "0"}


def send_url(patient):
    return reverse("measures:send_link", args=[patient.external_id])


def enter_url(patient, instrument="phq9"):
    return reverse("measures:enter", args=[patient.external_id, instrument])


# --- sending a link ---------------------------------------------------------------------------


def test_send_page_shows_where_the_link_goes_and_logs_the_view(client, coordinator, patient):
    client.force_login(coordinator)

    response = client.get(send_url(patient))

    assert response.status_code == 200
    assert patient.email in response.content.decode()
    entry = AccessLogEntry.objects.filter(patient=patient).latest("id")
    assert (entry.action, entry.actor_id) == (AccessAction.VIEW, coordinator.pk)


def test_coordinator_sends_a_link_and_returns_to_the_chart(
    client, coordinator, patient, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(send_url(patient), {"instrument": "pcl5"})

    assert response["Location"] == reverse("patients:chart", args=[patient.external_id])
    link = AssessmentLink.objects.get()
    assert (link.patient_id, link.instrument, link.sent_by_id, link.sent_to) == (
        patient.pk,
        "pcl5",
        coordinator.pk,
        patient.email,
    )
    assert mail.outbox[-1].to == [patient.email]
    entry = AccessLogEntry.objects.get(object_type="assessmentlink")
    assert (entry.patient_id, entry.action) == (patient.pk, AccessAction.CREATE)


def test_sending_without_an_email_on_record_explains_at_the_form(client, coordinator, patient):
    patient.email = ""
    patient.save(update_fields=["email"])
    client.force_login(coordinator)

    response = client.post(send_url(patient), {"instrument": "phq9"})

    assert response.status_code == 200
    assert "no email address" in response.content.decode()
    assert not AssessmentLink.objects.exists()


def test_sending_without_choosing_a_questionnaire_asks_for_one(client, coordinator, patient):
    client.force_login(coordinator)

    response = client.post(send_url(patient), {})

    assert response.status_code == 200
    assert 'id="instrument_error"' in response.content.decode()
    assert not AssessmentLink.objects.exists()


# --- entering answers on the patient's behalf -------------------------------------------------


def test_entry_page_shows_every_item_on_one_page(client, clinician, patient):
    client.force_login(clinician)

    page = client.get(enter_url(patient)).content.decode()

    assert page.count("<legend>") == 9
    assert 'class="questionnaire stepped"' not in page


def test_staff_entry_is_recorded_as_staff_with_who_entered_it(client, coordinator, patient):
    client.force_login(coordinator)

    response = client.post(enter_url(patient), PHQ9_ANSWERS)

    assert response["Location"] == reverse("patients:chart", args=[patient.external_id])
    assessment = Assessment.objects.get()
    assert (assessment.source, assessment.entered_by_id, assessment.status, assessment.total) == (
        Source.STAFF,
        coordinator.pk,
        AssessmentStatus.COMPLETED,
        8,
    )
    rows = AccessLogEntry.objects.filter(patient=patient, object_type="assessment")
    assert {r.actor_id for r in rows} == {coordinator.pk}


def test_staff_entry_with_item_9_raises_the_alert_and_says_so(
    client, clinician, patient, django_capture_on_commit_callbacks
):
    client.force_login(clinician)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(enter_url(patient), PHQ9_ANSWERS | {"item_9": "3"}, follow=True)

    assert SafetyAlert.objects.get().kind == AlertKind.SUICIDAL_IDEATION
    assert mail.outbox[-1].to == [patient.clinic.clinical_inbox]
    assert "raised a safety alert" in response.content.decode()


def test_staff_entry_of_the_cssrs_leaves_out_questions_not_asked(client, clinician, patient):
    client.force_login(clinician)
    answers = {"item_1": "yes", "item_2": "no", "item_3": "yes", "item_6": "yes", "item_7": "no"}

    client.post(enter_url(patient, "cssrs_screen"), answers)

    assessment = Assessment.objects.get()
    assert assessment.answers == [True, False, None, None, None, True, False]
    assert assessment.band == "moderate risk"


def test_staff_entry_refuses_unscorable_answers_naming_the_items_and_keeps_them(
    client, clinician, patient
):
    client.force_login(clinician)

    response = client.post(enter_url(patient, "pcl5"), {"item_1": "4", "item_2": "3"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "PCL-5 cannot be scored" in page
    assert 'id="item_20_error"' in page
    assert re.search(r'name="item_1"[^>]*value="4" checked', page)
    assert not Assessment.objects.exists()


def test_staff_entry_refuses_an_invalid_value_naming_the_item(client, clinician, patient):
    client.force_login(clinician)

    response = client.post(enter_url(patient), PHQ9_ANSWERS | {"item_6": "5"})

    assert response.status_code == 200
    assert "Question 6: choose one of the answers shown" in response.content.decode()
    assert not Assessment.objects.exists()


def test_unknown_instrument_is_not_found(client, clinician, patient):
    client.force_login(clinician)

    assert client.get(enter_url(patient, "bdi2")).status_code == 404


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["coordinator", "clinician", "clinic_admin"])
def test_clinic_staff_may_open_both_pages(client, request, patient, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(send_url(patient)).status_code == 200
    assert client.get(enter_url(patient)).status_code == 200


@pytest.mark.parametrize(
    ("persona", "status"), [("therapist", 403), ("patient_user", 403), ("outsider", 404)]
)
def test_others_cannot_send_links_or_enter_answers(client, request, patient, persona, status):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(send_url(patient)).status_code == status
    assert client.post(send_url(patient), {"instrument": "phq9"}).status_code == status
    assert client.get(enter_url(patient)).status_code == status
    assert client.post(enter_url(patient), PHQ9_ANSWERS).status_code == status
    assert not AssessmentLink.objects.exists()
    assert not Assessment.objects.exists()


def test_a_patient_cannot_enter_answers_for_another_patient(client, patient_user, other_patient):
    client.force_login(patient_user)

    response = client.post(enter_url(other_patient), PHQ9_ANSWERS)

    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_staff_of_another_clinic_cannot_send_to_its_patient(client, coordinator, outsider_patient):
    client.force_login(coordinator)

    assert client.post(send_url(outsider_patient), {"instrument": "phq9"}).status_code == 404
    assert not AssessmentLink.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, patient):
    for url in (send_url(patient), enter_url(patient)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_sent_links_are_listed_on_the_send_page(
    client, coordinator, patient, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(send_url(patient), {"instrument": "gad7"}, follow=True)

    assert "GAD-7 link sent to" in response.content.decode()
    page = client.get(send_url(patient)).content.decode()
    assert "Links sent" in page
    assert coordinator.full_name in page
