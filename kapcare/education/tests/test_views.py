import pytest
from django.urls import reverse

from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.education import services
from kapcare.education.models import EducationReceipt, EducationVersion
from kapcare.education.tests.factories import actor, education_page, publish
from kapcare.episodes.models import SessionStatus
from tests.clock import wall_clock
from tests.factories import UserFactory, open_episode, plan_session


def test_the_portal_lists_the_guides_for_the_next_step_first(client, patient_user, patient):
    client.force_login(patient_user)

    response = client.get(reverse("education:portal_list"))

    assert response.status_code == 200
    first = response.context["next_readings"][0]
    assert first.page.topic == "what-a-dose-feels-like"
    assert AccessLogEntry.objects.filter(patient=patient, action=AccessAction.VIEW).exists()


def test_reading_a_guide_logs_the_view_and_the_receipt(client, patient_user, patient, clinic):
    client.force_login(patient_user)
    page = education_page(clinic, "what-a-dose-feels-like")

    response = client.get(reverse("education:portal_page", args=[page.topic]))
    assert response.status_code == 200
    assert "not a panic attack" in response.content.decode()
    assert AccessLogEntry.objects.filter(patient=patient, action=AccessAction.VIEW).exists()

    response = client.post(
        reverse("education:mark_read", args=[page.topic]), {"version": page.current.external_id}
    )

    assert response.status_code == 302
    assert EducationReceipt.objects.filter(patient=patient, version=page.current).exists()


def test_a_guide_changed_while_read_is_not_marked_read(
    client, patient_user, patient, clinic, clinician
):
    client.force_login(patient_user)
    page = education_page(clinic)
    shown = page.current
    publish(page, clinician, body="Rest, and no driving until tomorrow.")

    response = client.post(
        reverse("education:mark_read", args=[page.topic]), {"version": shown.external_id}
    )

    assert response.status_code == 302
    assert not EducationReceipt.objects.filter(patient=patient).exists()


def test_an_unknown_guide_is_404(client, patient_user, patient):
    client.force_login(patient_user)

    assert client.get(reverse("education:portal_page", args=["no-such-page"])).status_code == 404
    response = client.post(reverse("education:mark_read", args=["after-care"]), {"version": "x"})
    assert response.status_code == 302
    assert not EducationReceipt.objects.exists()


def test_staff_see_the_receipts_on_the_day_of_checklist(
    client, clinician, patient, patient_user, clinic
):
    session = plan_session(
        open_episode(patient, clinician), clinician, starts_at=wall_clock(days=2, hour=10)
    )
    page = education_page(clinic, "fasting-and-your-ride-home")
    services.mark_read(actor=actor(patient_user), patient=patient, version=page.current)
    client.force_login(clinician)

    html = client.get(reverse("gates:session", args=[session.external_id])).content.decode()

    assert "Guides the patient read" in html
    assert "Fasting and your ride home:" in html
    assert html.count("Not read yet") == 2  # the other two guides before a dose


def test_a_clinician_publishes_a_version_and_sees_what_changed(client, clinician, clinic):
    page = education_page(clinic)
    client.force_login(clinician)
    url = reverse("education:new_version", args=[page.external_id])
    data = {
        "title": "After your dose",
        "summary": "No driving until the next day.",
        "body_markdown": page.current.body_markdown.replace("Eat something light", "Eat soup"),
        "change_summary": "Simpler food advice.",
    }

    response = client.post(url, data)

    assert response.status_code == 302
    html = client.get(reverse("education:page", args=[page.external_id])).content.decode()
    assert "What changed from version 1" in html
    assert '<ins><span class="visually-hidden">[added: </span>soup' in html


def test_bad_input_keeps_what_was_typed_and_says_so_at_the_field(client, clinician, clinic):
    page = education_page(clinic)
    client.force_login(clinician)

    response = client.post(
        reverse("education:new_version", args=[page.external_id]),
        {"title": "Kept title", "summary": "", "body_markdown": "Kept text", "change_summary": ""},
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "Kept title" in html
    assert "Kept text" in html
    assert "Say in one sentence what the page explains." in html
    assert EducationVersion.objects.filter(page=page).count() == 1


def test_another_clinics_page_is_404(client, clinic, other_clinic):
    page = education_page(clinic)
    admin = UserFactory(role="admin", clinic=other_clinic)
    client.force_login(admin)

    assert client.get(reverse("education:page", args=[page.external_id])).status_code == 404


def test_the_after_care_sheet_prints_for_the_patient(client, clinician, patient, clinic):
    session = plan_session(open_episode(patient, clinician), clinician)
    client.force_login(clinician)

    response = client.get(reverse("education:after_care_sheet", args=[session.external_id]))

    html = response.content.decode()
    assert response.status_code == 200
    assert patient.full_name in html
    assert clinic.name in html
    assert "Do not drive" in html
    assert AccessLogEntry.objects.filter(patient=patient, action=AccessAction.VIEW).exists()


def test_the_portal_home_shows_the_guides_card(client, patient_user, patient, clinician):
    session = plan_session(open_episode(patient, clinician), clinician)
    type(session).objects.filter(pk=session.pk).update(status=SessionStatus.DONE)
    client.force_login(patient_user)

    html = client.get(reverse("portal:home")).content.decode()

    assert "Guides for your next step" in html
    assert "After your dose" in html


def test_the_portal_home_puts_the_next_step_at_the_top(client, patient_user, patient):
    client.force_login(patient_user)

    response = client.get(reverse("portal:home"))

    step = response.context["next_step"]
    assert step.text == "Read “What a dose feels like”"
    html = response.content.decode()
    assert html.index("Your next step") < html.index("Guides for your next step")


def test_a_consent_to_sign_comes_before_a_guide(client, patient_user, patient, clinician):
    open_episode(patient, clinician)
    client.force_login(patient_user)

    step = client.get(reverse("portal:home")).context["next_step"]

    assert step.text == "Sign your treatment consent"
    assert step.url == reverse("consents:portal_sign")


@pytest.mark.parametrize("versions", [1, 10])
def test_the_guides_page_reads_a_fixed_number_of_rows(
    client, patient_user, patient, clinic, clinician, django_assert_max_num_queries, versions
):
    page = education_page(clinic)
    for n in range(versions):
        version = publish(page, clinician, body=f"Version {n}.")
        services.mark_read(actor=actor(patient_user), patient=patient, version=version)
    client.force_login(patient_user)

    with django_assert_max_num_queries(16):
        assert client.get(reverse("education:portal_list")).status_code == 200
