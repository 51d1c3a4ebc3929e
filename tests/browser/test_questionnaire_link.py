"""A patient answers an emailed PHQ-9 link on a phone, one question per screen; an answer
to item 9 above 0 shows crisis resources at once and raises an alert, which a clinician
then reviews from their home page."""

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from playwright.sync_api import expect

from kapcare.audit.log import Actor
from kapcare.measures import links
from kapcare.measures.instruments import PHQ9
from kapcare.measures.models import Assessment, AssessmentLink, SafetyAlert
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login

# What the patient chooses for items 1-9 (PHQ-9 option labels); item 9 is above 0.
CHOICES = [
    "Several days",
    "More than half the days",
    "Several days",
    "Nearly every day",
    "Not at all",
    "Several days",
    "Several days",
    "Not at all",
    "Several days",
]


def emailed_link(live_server, coordinator, patient) -> str:
    with override_settings(SITE_URL=live_server.url):
        links.send_questionnaire_link(
            actor=Actor(user=coordinator, ip_address="127.0.0.1"),
            patient=patient,
            instrument="phq9",
        )
    message = mail.outbox[-1]
    assert message.to == [patient.email]
    assert patient.full_name not in message.subject + message.body
    return re.search(r"https?://\S+/questionnaires/[A-Za-z0-9_-]+/", message.body).group(0)


@pytest.mark.browser
def test_patient_answers_a_link_on_a_phone_and_a_clinician_reviews_the_alert(
    page, live_server, coordinator, clinician, patient
):
    url = emailed_link(live_server, coordinator, patient)

    # The patient, on a phone, opens the link from the email: no sign-in.
    page.set_viewport_size(PHONE)
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Patient Health Questionnaire-9")
    assert_accessible(page)

    for number, (item, choice) in enumerate(zip(PHQ9.items, CHOICES, strict=True), start=1):
        question = page.get_by_role("group", name=re.compile(re.escape(item.text)))
        expect(question).to_be_visible()
        expect(page.get_by_role("group")).to_have_count(1)  # one question per screen
        expect(question).to_contain_text(f"Question {number} of 9")
        if number == 2:
            # By keyboard: Space chooses, arrows move along the options, Tab reaches Next.
            question.get_by_role("radio").first.focus()
            page.keyboard.press("Space")
            page.keyboard.press("ArrowDown")
            page.keyboard.press("ArrowDown")
            expect(question.get_by_label(choice)).to_be_checked()
            page.keyboard.press("Tab")
            expect(page.get_by_role("button", name="Next")).to_be_focused()
            page.keyboard.press("Enter")
        else:
            question.get_by_label(choice).check()
            page.get_by_role("button", name="Next").click()
        page.wait_for_load_state()
        if number == 4:
            # Answers are kept server-side at each step: leaving and coming back resumes.
            assert Assessment.objects.get().answers[:4] == [1, 2, 1, 3]
            page.goto("about:blank")
            page.goto(url)
            expect(page.get_by_role("group")).to_contain_text("Question 5 of 9")

    expect(page.get_by_role("heading", name="Ready to send your answers?")).to_be_visible()
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "If you are thinking about harming yourself, call or text 988 "
        "(Suicide & Crisis Lifeline) now, or call 911"
    )
    expect(page.get_by_role("alert")).to_contain_text(patient.clinic.phone)
    expect(page.get_by_role("alert")).to_contain_text("has been alerted")
    assert_accessible(page)
    assert AssessmentLink.objects.get().used_at is not None
    alert = SafetyAlert.objects.get()
    assert [m.to for m in mail.outbox[1:]] == [[patient.clinic.clinical_inbox]]

    # A clinician, at a desk, sees the alert on their home page and records the review.
    page.set_viewport_size(DESKTOP)
    login(page, clinician.email)
    expect(page).to_have_url(live_server.url + reverse("clinician_home"))
    alert_link = page.locator(f'a[href="{reverse("measures:alert", args=[alert.external_id])}"]')
    expect(alert_link.first).to_be_visible()
    alert_link.first.click()
    page.get_by_label(re.compile(r"^What was done")).fill(
        "Called the patient at 3pm: safe, no plan; safety plan reviewed; seen tomorrow."
    )
    page.get_by_role("button", name="Record safety review").click()
    page.wait_for_load_state()

    page.goto(reverse("clinician_home"))
    expect(alert_link).to_have_count(0)
    alert.refresh_from_db()
    assert alert.reviewed_by_id == clinician.pk
