"""The whole screening workflow in a browser: the patient sends their history from the
portal, a clinician reviews and signs it, then decides eligibility; every page passes axe
at desktop and phone sizes.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from kapcare.screening import rules
from kapcare.screening.models import EligibilityDecision, MedicalScreening, SubstanceChoice
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login


def assert_accessible_at_both_sizes(page) -> None:
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)


@pytest.mark.browser
def test_patient_sends_history_and_clinician_signs_it_and_decides(
    page,
    live_server,
    patient_user,
    patient,
    clinician,
):
    login(page, patient_user.email)
    page.goto(reverse("screening:health_history"))
    assert_accessible_at_both_sizes(page)

    for radio in page.locator("input[type=radio][value=no]").all():
        radio.check()
    page.get_by_label("Not pregnant").check()
    page.locator("#id_medications-0-name").fill("Klonopin")
    page.locator("#id_medications-0-dose").fill("0.5 mg")
    page.get_by_label("Allergies").fill("None known")
    for substance in SubstanceChoice.values:
        page.locator(f"#id_{substance}_frequency").select_option(rules.NEVER)
    page.get_by_role("button", name="Send to my clinician").click()

    expect(page.get_by_text("your health history was sent to your clinician")).to_be_visible()
    screening = MedicalScreening.objects.get(patient=patient)
    assert screening.medications.get().interaction_flags[0]["name"] == "Benzodiazepines"

    page.context.clear_cookies()
    login(page, clinician.email)
    page.goto(reverse("screening:review", args=[patient.external_id]))
    assert_accessible_at_both_sizes(page)
    page.get_by_label("Blood pressure, systolic (mmHg)").fill("128")
    page.get_by_label("Blood pressure, diastolic (mmHg)").fill("84")
    page.get_by_label("Weight", exact=True).fill("70")
    for radio in page.locator("input[type=radio][value=no]").all():
        radio.check()
    page.get_by_label("Screening completed").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Screening completed and signed.")).to_be_visible()
    assert_accessible_at_both_sizes(page)

    page.goto(reverse("screening:eligibility", args=[patient.external_id]))
    assert_accessible_at_both_sizes(page)
    page.get_by_label("Eligible with conditions").check()
    page.get_by_role("button", name="Sign the decision").click()
    expect(page.get_by_text("Write the conditions the patient is eligible under.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("textbox", name="Conditions").fill(
        "Hold clonazepam the evening before each dose."
    )
    page.get_by_role("textbox", name="Justification").fill(
        "Benzodiazepine can be held; no other concern."
    )
    page.get_by_role("button", name="Sign the decision").click()

    expect(page.get_by_text("Eligibility decision recorded and signed.")).to_be_visible()
    assert EligibilityDecision.objects.get().decision == rules.ELIGIBLE_WITH_CONDITIONS
