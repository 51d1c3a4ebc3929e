"""An admin opens the clinic's ASKP3 conformance page, follows a failing element to its
episodes and opens one episode's conformance report; both pages pass axe."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kapcare.conformance import rules
from kapcare.conformance.models import ConformanceResult
from kapcare.conformance.report import ELEMENTS, MONITORING
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login
from tests.factories import open_episode


@pytest.fixture
def failing_episode(clinic, clinician, patient):
    """An episode whose stored evaluation fails the monitoring element."""
    episode = open_episode(patient, clinician)
    now = timezone.now()
    for element in ELEMENTS:
        ConformanceResult.objects.create(
            episode=episode,
            clinic_id=episode.clinic_id,
            patient_id=episode.patient_id,
            element=element,
            status=rules.NOT_MET if element == MONITORING else rules.MET,
            detail="Dose 1: readings missed." if element == MONITORING else "Met.",
            first_dose_at=now - dt.timedelta(days=5),
            computed_at=now,
        )
    return episode


@pytest.mark.browser
def test_an_admin_follows_a_failing_element_to_an_episodes_report(
    page, live_server, clinic_admin, failing_episode
):
    login(page, clinic_admin.email)
    page.goto("/clinical/conformance/")
    expect(page.get_by_role("heading", level=1, name="ASKP3 conformance")).to_be_visible()
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        assert_accessible(page)
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name="episodes not meeting vital signs monitored").click()
    expect(page.get_by_role("heading", name="Not meeting: Vital signs monitored")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=failing_episode.patient.display_name, exact=False).click()

    expect(page).to_have_url(
        f"{live_server.url}/clinical/episodes/{failing_episode.external_id}/conformance/#monitoring"
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("ASKP3 conformance")
    expect(
        page.get_by_role("row", name="Vital signs monitored during and after each dose")
    ).to_be_visible()
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        assert_accessible(page)
