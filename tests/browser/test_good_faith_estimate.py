"""The coordinator books a patient's session; the booking form asks the coverage question
(the law requires it at scheduling), refuses to book until it is answered, and books with
"uninsured"; the Good Faith Estimate is issued by itself and the patient reads it in the
portal. Every page passes axe at phone and desktop sizes."""

import re

import pytest
from playwright.sync_api import expect

from kapcare.billing.models import CoverageRecord, GoodFaithEstimate
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login
from tests.clock import wall_clock
from tests.factories import RoomFactory, open_episode


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
    RoomFactory(clinic=episode.clinic, name="Suite 1")
    start = wall_clock(20, 10).astimezone(episode.clinic.zone)
    # The first sign-in took over 10 s on a loaded two-core machine; the steps are not slow.
    page.set_default_timeout(30_000)
    login(page, coordinator.email)
    page.goto(f"/episodes/{episode.external_id}/sessions/new/")

    page.get_by_label(re.compile(r"^Starts")).fill(f"{start:%Y-%m-%dT%H:%M}")
    page.get_by_label(re.compile(r"^Room")).select_option(label="Suite 1")
    page.get_by_label(re.compile(r"^Clinician")).select_option(label=clinician.display_name)
    page.get_by_role("button", name="Plan the session").click()
    expect(
        page.get_by_text(re.compile("the law requires the question when booking"))
    ).to_be_visible()
    check_both_sizes(page)
    assert not episode.sessions.exists()

    page.get_by_label("Uninsured").check()
    page.get_by_role("button", name="Plan the session").click()
    expect(page).to_have_url(f"{live_server.url}/episodes/{episode.external_id}/")
    assert CoverageRecord.objects.get(patient=patient).status == "uninsured"
    assert GoodFaithEstimate.objects.filter(patient=patient).count() == 1

    page.context.clear_cookies()
    login(page, patient_user.email)
    page.goto("/portal/")
    page.get_by_role("link", name="Your estimates and your rights").click()
    expect(page.get_by_role("heading", level=1, name="Your Good Faith Estimates")).to_be_visible()
    expect(page.get_by_role("cell", name="$2,850.00")).to_be_visible()
    check_both_sizes(page)
