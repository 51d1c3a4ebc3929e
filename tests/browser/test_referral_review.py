"""A referral that could be about two patients, decided by the front desk in a browser with
the keyboard alone: the queue, the referral, the choice, the code. Both pages pass axe at
phone and desktop sizes, and so does the page that refuses a missing choice."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from kapcare.accounts import second_factor
from kapcare.referrals.models import ReferralStatus, Resolution
from kapcare.referrals.tests.factories import referral_for_review
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login
from tests.factories import PASSWORD, PatientFactory
from tests.second_factor import unused_code


def assert_accessible_at_both_sizes(page) -> None:
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)


def tab_to(page, locator, *, limit=80) -> None:
    """Press Tab until `locator` has the focus, as a keyboard user does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError("Tab never reached the element")


@pytest.mark.browser
def test_coordinator_decides_an_ambiguous_referral_with_the_keyboard(
    page, live_server, clinic, coordinator
):
    twins = [
        PatientFactory(
            clinic=clinic, given_name="Ada", family_name="Moreau", birth_date="1980-04-02"
        )
        for _ in range(2)
    ]
    referral = referral_for_review(clinic, by=coordinator, candidates=twins)
    login(page, coordinator.email)

    page.goto(reverse("referrals:queue"))
    assert_accessible_at_both_sizes(page)
    tab_to(page, page.get_by_role("link", name="Ada Moreau"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Referral of Ada Moreau")).to_be_visible()
    assert_accessible_at_both_sizes(page)

    # Sent with no choice: refused at the field, nothing decided.
    password = page.get_by_label(re.compile(r"^Your password"))
    code = page.get_by_label(re.compile(r"^Your current authenticator code"))
    tab_to(page, password)
    page.keyboard.type(PASSWORD)
    tab_to(page, code)
    page.keyboard.type(unused_code(second_factor.authenticator(coordinator)))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Choose the patient this referral is about")).to_be_visible()
    assert_accessible(page)

    chosen = page.get_by_role("radio", name=re.compile(r"^Ada Moreau")).nth(1)
    tab_to(page, page.get_by_role("radio").first)
    page.keyboard.press("ArrowDown")
    expect(chosen).to_be_checked()
    tab_to(page, password)
    page.keyboard.type(PASSWORD)
    tab_to(page, code)
    page.keyboard.press("Control+a")
    page.keyboard.type(unused_code(second_factor.authenticator(coordinator)))
    page.keyboard.press("Enter")

    expect(page.get_by_text("Decided. The referral is recorded on the patient.")).to_be_visible()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RESOLVED
    assert (referral.resolution, referral.patient_id) == (Resolution.MATCHED, twins[1].pk)
    assert referral.resolved_by_id == coordinator.pk
