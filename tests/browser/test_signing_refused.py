"""Signing a dosing record in a browser: the clinician reads what signing does, types a
wrong password (with the right authenticator code) and is refused at the password field,
the record left unsigned and the refusal in the access log; then re-enters the right
password with the code their authenticator app shows now, and the record is signed,
naming how they confirmed it, with the signed record's PDF offered. The page passes axe
when refused and when signed.

Everyone re-enters their password; a clinician always has a second factor, so the step-up
also asks for the authenticator's code, and both are checked (`kapcare.accounts.step_up`)."""

import re

import pytest
from playwright.sync_api import expect

from kapcare.accounts import second_factor
from kapcare.audit.models import AccessAction, AccessLogEntry
from kapcare.dosing.models import DosingRecord
from kapcare.dosing.tests.test_signing_fixtures import finished_record
from tests.browser.helpers import PHONE, TABLET, assert_accessible, login
from tests.clock import wall_clock
from tests.factories import PASSWORD
from tests.second_factor import unused_code


def refused_signatures(record) -> int:
    return AccessLogEntry.objects.filter(
        action=AccessAction.REFUSED, patient=record.patient, object_type="dosingrecord"
    ).count()


@pytest.mark.browser
def test_a_signature_with_a_wrong_password_is_refused_then_signed_with_the_right_one(
    page, clinician, patient
):
    record = finished_record(patient, clinician, at=wall_clock(-1, 9))
    url = f"/dosing-sessions/{record.session.external_id}/record/"
    page.set_viewport_size(TABLET)
    page.set_default_timeout(30_000)  # the shared 2-core machine can be slow to answer
    login(page, clinician.email)
    page.goto(url)
    device = second_factor.authenticator(clinician)

    signature = page.get_by_role("region", name="Signature and addenda")
    expect(signature).to_contain_text("Signing puts your name and the time on this record")
    signature.get_by_label(re.compile(r"^Your password")).fill("not my password")
    code = unused_code(device)
    signature.get_by_label(re.compile(r"^Your current authenticator code")).fill(code)
    signature.get_by_role("button", name="Sign the record").click()

    signature = page.get_by_role("region", name="Signature and addenda")
    password = signature.get_by_label(re.compile(r"^Your password"))
    expect(password).to_have_accessible_description(re.compile(r"That password is not right"))
    expect(signature).to_contain_text("Not signed")
    # The code typed is kept (and was not used up: the password was checked first).
    expect(signature.get_by_label(re.compile(r"^Your current authenticator code"))).to_have_value(
        code
    )
    assert DosingRecord.objects.get(pk=record.pk).signed_at is None
    assert refused_signatures(record) == 1
    for viewport in (PHONE, TABLET):
        page.set_viewport_size(viewport)
        assert_accessible(page)

    password.fill(PASSWORD)
    signature.get_by_label(re.compile(r"^Your current authenticator code")).fill(
        unused_code(device)
    )
    signature.get_by_role("button", name="Sign the record").click()

    signature = page.get_by_role("region", name="Signature and addenda")
    expect(signature).to_contain_text(f"✓ Signed by {clinician.display_name}")
    expect(signature).to_contain_text("confirmed with their password and authenticator code")
    expect(
        signature.get_by_role("link", name=re.compile(r"^Download the signed record"))
    ).to_be_visible()
    assert_accessible(page)
    signed = DosingRecord.objects.get(pk=record.pk)
    assert (signed.signed_by_id, signed.signed_with) == (clinician.pk, "password+code")
    assert refused_signatures(record) == 1
