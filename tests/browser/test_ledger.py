"""The front desk opens a patient's ledger after a dose, mistypes a payment (told at the
field, nothing lost), records it, and the balance is settled; the patient reads the same
lines in the portal. Every page passes axe at phone and desktop sizes."""

import pytest
from playwright.sync_api import expect

from kapcare.billing.ledger.tests.factories import dose_done, post
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login
from tests.factories import open_episode


def check_both_sizes(page) -> None:
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        assert_accessible(page)
    page.set_viewport_size(DESKTOP)


@pytest.mark.browser
def test_the_front_desk_records_a_payment_and_the_patient_sees_it(
    page, live_server, coordinator, clinician, patient, patient_user
):
    episode = open_episode(patient, clinician, model="standalone")
    post(dose_done(episode, clinician))
    page.set_default_timeout(30_000)
    login(page, coordinator.email)
    page.goto(f"/patients/{patient.external_id}/ledger/")

    expect(page.get_by_role("heading", level=1, name=f"Ledger for {patient.display_name}"))
    expect(page.get_by_role("row", name="Balance $475.00")).to_be_visible()
    page.get_by_text("A payment or deposit").click()
    check_both_sizes(page)
    page.get_by_label("Amount (USD)").first.fill("47S.00")
    page.get_by_label("How it was paid").select_option("check")
    page.get_by_label("Reference (check number, processor id)").fill("1042")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.get_by_text("Enter an amount in dollars and cents")).to_be_visible()
    expect(page.get_by_label("Reference (check number, processor id)")).to_have_value("1042")
    check_both_sizes(page)
    page.get_by_label("Amount (USD)").first.fill("475.00")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.get_by_text("Payment of $475.00 recorded.")).to_be_visible()
    expect(page.get_by_role("row", name="Balance $0.00")).to_be_visible()

    page.context.clear_cookies()
    login(page, patient_user.email)
    page.goto("/portal/")
    page.get_by_role("link", name="Your charges, payments and packages").click()
    expect(page.get_by_role("heading", level=1, name="Your payments")).to_be_visible()
    expect(page.get_by_role("cell", name="Payment (Check)")).to_be_visible()
    check_both_sizes(page)
