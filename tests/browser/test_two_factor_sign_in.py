"""Two-factor sign-in in a browser: a clinician signs in for the first time and is sent to
set up an authenticator app; the test reads the key from the page and computes the codes
as the app would (RFC 6238, django-otp's own TOTP). They save their recovery codes, sign
out, sign in again with the password and a code, and sign a dosing record re-entering the
code of the moment. Each page passes axe.

The live server runs in this process, so the clock that time_machine moves is the server's
too: each code is accepted once, so the clock moves on to the app's next code before the
sign-in and again before the signature, and past django-otp's wait after a wrong code."""

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from kapcare.dosing.models import DosingRecord
from kapcare.dosing.tests.test_signing_fixtures import finished_record
from tests.browser.helpers import AuthenticatorApp, assert_accessible
from tests.factories import PASSWORD


def sign_in_with_password(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label(re.compile(r"^Email\b")).fill(email)
    page.get_by_label(re.compile(r"^Password\b")).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.browser
def test_clinician_sets_up_the_app_signs_in_with_a_code_and_signs_a_record_with_it(
    page, clinician, patient
):
    record = finished_record(patient, clinician)
    record_url = f"/dosing-sessions/{record.session.external_id}/record/"
    with time_machine.travel(timezone.now(), tick=True) as clock:
        # --- First sign-in: the password, then straight to setting up the app --------------
        sign_in_with_password(page, clinician.email)
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
        expect(page.get_by_role("img", name="QR code of your kapcare sign-in key")).to_be_visible()
        assert_accessible(page)
        app = AuthenticatorApp(page.locator("#manual-key").inner_text())
        page.goto(record_url)  # nothing else opens before the app is set up
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
        page.get_by_label(re.compile(r"^Code from your authenticator app")).fill(app.code())
        page.get_by_role("button", name="Confirm and turn on").click()

        # --- Ten recovery codes, shown once ----------------------------------------------------
        expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
        codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
        expect(codes).to_have_count(10)
        assert_accessible(page)
        page.get_by_role("link", name="I saved them: continue").click()
        expect(page).to_have_url(re.compile(r"/record/$"))
        assert TOTPDevice.objects.get(user=clinician).confirmed

        # --- Sign out, and in again: password, then the app's next code --------------------
        page.get_by_role("button", name="Sign out").first.click()
        clock.shift(dt.timedelta(seconds=30))
        sign_in_with_password(page, clinician.email)
        expect(page.get_by_role("heading", level=1)).to_have_text("Your sign-in code")
        assert_accessible(page)
        code_field = page.get_by_label(re.compile(r"^Code from your authenticator app"))
        code_field.fill("000000" if app.code() != "000000" else "111111")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("That code is not right")).to_be_visible()
        clock.shift(dt.timedelta(seconds=2))  # django-otp's wait after a wrong code
        code_field.fill(app.code())
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(re.compile(r"/clinical/$"))

        # --- Signing the record re-enters the password and the code of the moment -------------
        clock.shift(dt.timedelta(seconds=30))
        page.goto(record_url)
        signature = page.get_by_role("region", name="Signature and addenda")
        signature.get_by_label(re.compile(r"^Your password")).fill(PASSWORD)
        signature.get_by_label(re.compile(r"^Your current authenticator code")).fill("12345")
        signature.get_by_role("button", name="Sign the record").click()
        expect(signature).to_contain_text("That code is not right")
        assert DosingRecord.objects.get(pk=record.pk).signed_at is None
        assert_accessible(page)

        clock.shift(dt.timedelta(seconds=2))
        signature.get_by_label(re.compile(r"^Your password")).fill(PASSWORD)
        signature.get_by_label(re.compile(r"^Your current authenticator code")).fill(app.code())
        signature.get_by_role("button", name="Sign the record").click()
        expect(signature).to_contain_text(f"✓ Signed by {clinician.display_name}")

    assert DosingRecord.objects.get(pk=record.pk).signed_by == clinician
