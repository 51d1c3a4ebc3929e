"""The biennial inventory in a browser: a nurse opens the controlled-substance register from
the menu, sees that no inventory has been taken, counts each lot on hand, signs the count
with the current code of her authenticator app, and reads the inventory — reconciled with
the register — then the register again, which now says when the next one is due. A second
count, one vial short, lists the discrepancy with its reason. The pages pass axe."""

import re

from playwright.sync_api import expect

from kapcare.accounts import second_factor
from kapcare.dosing.tests.test_dea_fixtures import stocked
from tests.browser.helpers import assert_accessible, go_to, login
from tests.factories import PASSWORD
from tests.second_factor import unused_code

LOT = "KET-2611"


def sign_the_count(page, nurse, counted_mg: str, reason: str = "") -> None:
    count = page.get_by_role("group", name=re.compile(f"^Lot {LOT}"))
    count.get_by_label(re.compile(rf"^Counted of lot {LOT}")).fill(counted_mg)
    if reason:
        count.get_by_label(re.compile(rf"^Why lot {LOT}")).fill(reason)
    page.get_by_label("Close of business").check()
    device = second_factor.authenticator(nurse)
    page.get_by_label(re.compile(r"^Your password")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^Your current authenticator code")).fill(unused_code(device))
    page.get_by_role("button", name="Sign the inventory").click()


def test_a_nurse_takes_the_biennial_inventory_and_signs_it_with_her_code(
    page, clinic, clinician, nurse
):
    stocked(clinic, clinician, lot_number=LOT, amount_mg="1000")
    login(page, nurse.email)

    go_to(page, "Controlled substances")
    expect(page.get_by_text("due now: none has been taken")).to_be_visible()
    page.get_by_role("link", name="Inventories").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inventories")
    assert_accessible(page)

    sign_the_count(page, nurse, "1000")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Biennial inventory (21 CFR 1304.11(c))"
    )
    expect(page.get_by_text("✓ Reconciled")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="The register").click()
    expect(page.get_by_text(re.compile(r"^due by "))).to_be_visible()

    page.get_by_role("link", name="Inventories").click()
    sign_the_count(page, nurse, "950", reason="One 50 mg vial not found in the cabinet")

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("1 discrepancy between the count and the register.")
    expect(alert).to_contain_text("One 50 mg vial not found in the cabinet")
    assert_accessible(page)
