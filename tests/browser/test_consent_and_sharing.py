"""A patient signs the treatment consent for their blended course on a phone and downloads
the signed PDF; when the clinic changes the course's model the portal asks for re-consent;
then the patient
authorises their own therapist to see questionnaire scores only; the therapist sees the
scores but not the safety alerts, every look is logged as a disclosure, and once the
patient revokes, the shared record is gone."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from kapcare.audit.log import Actor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.consents.models import DocumentKind, SharingAuthorization, Signature
from kapcare.episodes import services as episodes
from kapcare.measures import services as measures
from kapcare.measures.models import SafetyAlert, Source
from kapcare.scopes import Scope
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login
from tests.factories import open_episode

# PHQ-9 answers: a baseline of 12, then a 9 with item 9 above 0 (which raises an alert).
BASELINE = [2, 2, 2, 2, 1, 1, 1, 1, 0]
LATEST = [1, 1, 1, 1, 1, 1, 1, 1, 1]


def record_measures(clinician, patient):
    """Two PHQ-9s entered by the clinic; returns the latest, which raised a safety alert."""
    for answers in (BASELINE, LATEST):
        completion = measures.record_assessment(
            actor=Actor(user=clinician, ip_address="127.0.0.1"),
            patient=patient,
            instrument="phq9",
            answers=answers,
            source=Source.STAFF,
        )
    assert completion.alerts, "The second PHQ-9 should raise a safety alert"
    return completion.assessment


@pytest.mark.browser
def test_patient_signs_consent_shares_scores_with_a_therapist_then_revokes(
    browser, page, live_server, patient_user, patient, clinician, therapist
):
    latest = record_measures(clinician, patient)
    assert latest.total == 9
    course = open_episode(patient, clinician, model="blended")

    # --- The patient, on a phone: the treatment consent --------------------------------------
    page.set_viewport_size(PHONE)
    login(page, patient_user.email)
    expect(page).to_have_url(live_server.url + reverse("portal:home"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Pat")

    page.get_by_role("link", name="All your consent forms").click()
    expect(page).to_have_url(live_server.url + reverse("consents:portal_consents"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your consent forms")
    expect(page.get_by_text("Not signed", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Read and sign the consent").click()
    expect(page).to_have_url(live_server.url + reverse("consents:portal_sign"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign your treatment consent")
    consent_text = page.get_by_role("article", name="The consent to sign")
    expect(consent_text).to_contain_text("Blended ketamine-assisted psychotherapy (KAP).")
    assert_accessible(page)
    page.get_by_label(re.compile(r"^Type your full name to sign")).fill(patient.full_name)
    page.get_by_label("I have read this consent and agree").check()
    page.get_by_role("button", name="Sign the consent").click()

    expect(page).to_have_url(live_server.url + reverse("consents:portal_consents"))
    expect(page.get_by_text("Thank you: you signed the consent.")).to_be_visible()
    treatment = page.get_by_role("region", name="KAP treatment consent")
    expect(treatment).to_contain_text("Signed and current")
    expect(treatment).to_contain_text("the current version")
    assert_accessible(page)
    signature = Signature.objects.get(patient=patient, kind=DocumentKind.TREATMENT)
    assert signature.typed_name == patient.full_name
    assert (signature.episode_id, signature.care_model) == (course.pk, "blended")

    pdf_link = page.get_by_role("link", name=re.compile(r"^PDF of "))
    expect(pdf_link).to_have_count(1)
    with page.expect_download() as download_info:
        pdf_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    response = page.request.get(pdf_link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"

    # --- The clinic makes the course a standalone infusion: the portal asks for re-consent ---
    episodes.update_plan(
        actor=Actor(user=clinician, ip_address="127.0.0.1"),
        episode=course,
        data=episodes.PlanInput(
            dose_route=course.dose_route,
            planned_doses=course.planned_doses,
            planned_preparation_sessions=0,
            planned_integration_sessions=0,
            model="standalone",
        ),
    )
    page.reload()
    treatment = page.get_by_role("region", name="Standalone infusion consent")
    expect(treatment).to_contain_text("The model changed: re-consent")
    page.get_by_role("link", name="Read and sign the consent for your course").click()
    consent_text = page.get_by_role("article", name="The consent to sign")
    expect(consent_text).to_contain_text("not ketamine-assisted psychotherapy")
    assert_accessible(page)

    # --- The patient authorises their therapist, for scores only ----------------------------
    page.goto(reverse("portal:home"))
    page.get_by_role("link", name="Authorise a therapist").click()
    expect(page).to_have_url(live_server.url + reverse("sharing:portal_list"))
    page.get_by_role("link", name="Authorise a therapist").click()
    expect(page).to_have_url(live_server.url + reverse("sharing:portal_authorize"))
    expect(page.get_by_text("Step 1 of 2")).to_be_visible()
    assert_accessible(page)

    page.get_by_label(re.compile(r"^Therapist's name")).fill(therapist.full_name)
    page.get_by_label(re.compile(r"^Therapist's email")).fill(therapist.email)
    scopes = page.get_by_role("group", name=re.compile(r"^What to share"))
    scopes.get_by_label(Scope.MEASURES.label).check()
    for other in (Scope.SAFETY_ALERTS, Scope.SCHEDULE, Scope.SESSION_SUMMARIES):
        expect(scopes.get_by_label(other.label)).not_to_be_checked()
    page.get_by_role("button", name="Continue to read and sign").click()

    expect(page.get_by_text("Step 2 of 2")).to_be_visible()
    authorisation_text = page.get_by_role("article", name="The authorisation to sign")
    expect(authorisation_text).to_contain_text(therapist.full_name)
    expect(authorisation_text).to_contain_text(Scope.MEASURES.label)
    assert_accessible(page)
    page.get_by_label(re.compile(r"^Type your full name to sign")).fill(patient.full_name)
    page.get_by_label("I have read this authorisation and I agree to it").check()
    page.get_by_role("button", name="Sign the authorisation").click()

    expect(page).to_have_url(live_server.url + reverse("sharing:portal_list"))
    expect(
        page.get_by_text(f"Signed. {therapist.full_name} can now see what you chose")
    ).to_be_visible()
    row = page.get_by_role("row").filter(has_text=therapist.email)
    expect(row).to_contain_text("✓ Active")
    expect(row).to_contain_text(Scope.MEASURES.label)
    expect(row).not_to_contain_text(Scope.SAFETY_ALERTS.label)
    authorization = SharingAuthorization.objects.get(patient=patient)
    assert authorization.therapist_id == therapist.pk
    assert authorization.scopes == [Scope.MEASURES.value]

    # --- The therapist, at a desk: scores, and no safety alerts -----------------------------
    page.context.clear_cookies()
    page.set_viewport_size(DESKTOP)
    login(page, therapist.email)
    expect(page).to_have_url(live_server.url + reverse("therapist_home"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your patients")
    patient_row = page.get_by_role("row").filter(has_text=patient.display_name)
    expect(patient_row).to_contain_text(Scope.MEASURES.label)
    expect(patient_row).not_to_contain_text(Scope.SAFETY_ALERTS.label)
    assert_accessible(page)

    patient_row.get_by_role("link", name=patient.display_name).click()
    shared_url = live_server.url + reverse("sharing:shared_record", args=[patient.external_id])
    expect(page).to_have_url(shared_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(patient.display_name)
    scores = page.get_by_role("region", name="Questionnaire scores and trends")
    expect(scores).to_be_visible()
    expect(scores.get_by_role("heading", level=3)).to_contain_text(
        f"latest: {latest.band} ({latest.total})"
    )
    expect(scores.get_by_role("table")).to_contain_text("12")
    # The alert exists, but the patient did not share safety alerts (nor the item 9 flag).
    assert SafetyAlert.objects.filter(patient=patient).exists()
    expect(page.get_by_role("heading", name="Safety alerts")).to_have_count(0)
    expect(page.get_by_role("heading", name=Scope.SCHEDULE.label)).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("⚠")
    assert_accessible(page)

    disclosures = AccessLogEntry.objects.filter(
        actor=therapist, patient=patient, action=AccessAction.DISCLOSE
    )
    assert disclosures.exists()

    # --- The patient revokes, on their own phone; the therapist's next look finds nothing ---
    phone = browser.new_context(base_url=live_server.url, viewport=PHONE, bypass_csp=True)
    try:
        phone.set_default_timeout(10_000)
        patient_page = phone.new_page()
        login(patient_page, patient_user.email)
        patient_page.goto(reverse("sharing:portal_list"))
        patient_page.get_by_role(
            "link", name=f"Revoke the authorisation for {therapist.full_name}"
        ).click()
        expect(patient_page.get_by_role("heading", level=1)).to_have_text(
            f"Revoke your authorisation for {therapist.full_name}"
        )
        assert_accessible(patient_page)
        patient_page.get_by_role("button", name="Revoke now").click()
        expect(
            patient_page.get_by_text(
                f"Revoked. {therapist.full_name} can no longer see your record."
            )
        ).to_be_visible()
        expect(patient_page.get_by_role("row").filter(has_text=therapist.email)).to_contain_text(
            "✕ Revoked"
        )
    finally:
        phone.close()
    authorization.refresh_from_db()
    assert authorization.revoked_at is not None

    response = page.reload()
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_text("Questionnaire scores and trends")).to_have_count(0)
    assert_accessible(page)

    page.goto(reverse("therapist_home"))
    expect(page.get_by_role("link", name=patient.display_name)).to_have_count(0)
