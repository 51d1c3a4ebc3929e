"""Signing a dosing record in a browser: the clinician reads what signing does, types a
wrong code and is refused at the field, the record left unsigned; then types the code
their authenticator app shows now and the record is signed, naming how they confirmed it,
with the signed record's PDF offered. The page passes axe when refused and when signed.

A clinician always has a second factor, so the step-up asks for the authenticator's code
(someone without one re-enters their password; `kapcare.accounts.step_up`)."""

import re

import pytest
from playwright.sync_api import expect

from kapcare.accounts import second_factor
from kapcare.dosing.models import DosingRecord
from kapcare.dosing.tests.test_signing_fixtures import finished_record
from tests.browser.helpers import PHONE, TABLET, assert_accessible, login
from tests.clock import wall_clock
from tests.second_factor import unused_code


@pytest.mark.browser
def test_a_signature_with_a_wrong_code_is_refused_then_signed_with_the_right_one(
    page, clinician, patient
):
    record = finished_record(patient, clinician, at=wall_clock(-1, 9))
    url = f"/dosing-sessions/{record.session.external_id}/record/"
    page.set_viewport_size(TABLET)
    page.set_default_timeout(30_000)  # the shared 2-core machine can be slow to answer
    login(page, clinician.email)
    page.goto(url)

    signature = page.get_by_role("region", name="Signature and addenda")
    expect(signature).to_contain_text("Signing puts your name and the time on this record")
    code = signature.get_by_label(re.compile(r"^Your current authenticator code"))
    code.fill("000000")
    signature.get_by_role("button", name="Sign the record").click()

    signature = page.get_by_role("region", name="Signature and addenda")
    code = signature.get_by_label(re.compile(r"^Your current authenticator code"))
    expect(code).to_have_accessible_description(re.compile(r"That code is not right"))
    expect(signature).to_contain_text("Not signed")
    assert DosingRecord.objects.get(pk=record.pk).signed_at is None
    for viewport in (PHONE, TABLET):
        page.set_viewport_size(viewport)
        assert_accessible(page)

    code.fill(unused_code(second_factor.authenticator(clinician)))
    signature.get_by_role("button", name="Sign the record").click()

    signature = page.get_by_role("region", name="Signature and addenda")
    expect(signature).to_contain_text(f"✓ Signed by {clinician.display_name}")
    expect(signature).to_contain_text("confirmed with their authenticator code")
    expect(
        signature.get_by_role("link", name=re.compile(r"^Download the signed record"))
    ).to_be_visible()
    assert_accessible(page)
    signed = DosingRecord.objects.get(pk=record.pk)
    assert (signed.signed_by_id, signed.signed_with) == (clinician.pk, "authenticator")
