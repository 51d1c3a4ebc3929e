"""The coordinator, planning a patient's series, is asked the coverage question, answers
"uninsured" and books; the Good Faith Estimate is issued by itself and the patient reads it
in the portal. Every page passes axe at phone and desktop sizes."""

import pytest
from playwright.sync_api import expect

from kapcare.billing.models import GoodFaithEstimate
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login
from tests.clock import wall_clock
from tests.factories import open_episode, plan_session


def check_both_sizes(page) -> None:
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        assert_accessible(page)
    page.set_viewport_size(DESKTOP)


@pytest.mark.browser
def test_the_coverage_question_then_the_estimate_in_the_portal(
    page, live_server, coordinator, clinician, patient, patient_user
):
    episode = open_episode(patient, clinician, model="standalone")
    # The first sign-in took over 10 s on a loaded two-core machine; the steps are not slow.
    page.set_default_timeout(30_000)
    login(page, coordinator.email)
    page.goto(f"/episodes/{episode.external_id}/series/")

    page.get_by_role("link", name="ask whether the patient is insured").click()
    expect(
        page.get_by_role("heading", level=1, name=f"Coverage for {patient.display_name}")
    ).to_be_visible()
    check_both_sizes(page)
    page.get_by_role("button", name="Record the answer").click()
    expect(page.get_by_text("Choose one of the three answers.")).to_be_visible()
    page.get_by_label("Uninsured").check()
    page.get_by_role("button", name="Record the answer").click()
    expect(page).to_have_url(f"{live_server.url}/episodes/{episode.external_id}/series/")
    expect(page.get_by_role("link", name="ask whether the patient is insured")).to_have_count(0)

    plan_session(episode, clinician, starts_at=wall_clock(20, 10))  # booked, and committed
    assert GoodFaithEstimate.objects.filter(patient=patient).count() == 1

    page.context.clear_cookies()
    login(page, patient_user.email)
    page.goto("/portal/")
    page.get_by_role("link", name="Your estimates and your rights").click()
    expect(page.get_by_role("heading", level=1, name="Your Good Faith Estimates")).to_be_visible()
    expect(page.get_by_role("cell", name="$2,850.00")).to_be_visible()
    check_both_sizes(page)
