"""An esketamine (Spravato) session in a browser, at a clinic certified under the Spravato
REMS: the clinician records the patient's REMS enrolment, which the gates wait for;
prescribes 56 mg from a lot of devices in the register; a nurse, on her own tablet, makes
the second check typing her own password; the clinician starts the session, takes the
blood pressure before the first device, records each device as the patient takes it — a
second device 4 minutes after the first is refused, 5 minutes after is taken — and the
blood pressure at 40 minutes; checks that sedation, dissociation and respiratory depression
have resolved; the discharge is refused before 2 hours of observation and granted after;
the REMS Patient Monitoring Form opens as PDF and is recorded as sent. The pages pass axe
at tablet and phone sizes.

The live server runs in this process, so the clock that time_machine moves is the
server's too; it moves at most ten minutes between page loads (less than the staff's
idle time-out)."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from kapcare.dosing.discharge.rules import ALDRETE_ITEMS
from kapcare.dosing.esketamine.tests.fixtures import certified, receive_devices
from kapcare.dosing.models import DosingRecord
from kapcare.episodes import services
from kapcare.episodes.tests.test_gate_facts import DOSE, GOOD_CHECKLIST, NOW, actor, ready_episode
from tests.browser.helpers import PHONE, TABLET, assert_accessible, login
from tests.browser.test_dosing_session import take_reading
from tests.factories import PASSWORD, plan_session

LOT = "SPR-2611"
STEP = dt.timedelta(minutes=10)


def assert_accessible_at_tablet_and_phone(page) -> None:
    for viewport in (PHONE, TABLET):
        page.set_viewport_size(viewport)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)
    page.set_viewport_size(TABLET)


@pytest.fixture
def second_tablet(browser, live_server):
    """The nurse's tablet: a browser context of its own, signed in apart."""
    context = browser.new_context(base_url=live_server.url, viewport=TABLET, bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def spravato_session(clinic, clinician, patient, patient_user):
    """A standalone esketamine course: the patient eligible, consented, with recent
    questionnaires; a dose planned for 9:00 on its day with the day-of checklist done;
    28 mg devices in the register. No REMS enrolment yet."""
    with time_machine.travel(NOW, tick=False):
        certified(clinic)
        episode = ready_episode(
            patient, clinician, patient_user, model="standalone", dose_route="intranasal"
        )
        session = plan_session(episode, clinician, starts_at=DOSE)
        services.record_day_of_checklist(
            actor=actor(clinician), session=session, data=GOOD_CHECKLIST
        )
        receive_devices(clinic, clinician)
    return session


@pytest.mark.browser
def test_clinician_runs_an_esketamine_session_with_the_nurse_checking_the_dose(
    page, second_tablet, clinic, clinician, nurse, patient, spravato_session
):
    session = spravato_session
    record_url = reverse("dosing:record", args=[session.external_id])
    gates_url = reverse("gates:session", args=[session.external_id])
    page.set_viewport_size(TABLET)
    with time_machine.travel(NOW, tick=True) as clock:

        def wait(minutes: int) -> None:
            """Let `minutes` pass at the bedside, the record open on the tablet."""
            left = dt.timedelta(minutes=minutes)
            while left > dt.timedelta(0):
                step = min(left, STEP)
                clock.shift(step)
                left -= step
                page.goto(record_url)

        # --- The clinician records the REMS enrolment from the record ------------------------
        login(page, clinician.email)
        page.goto(record_url)
        part = page.get_by_role("region", name="Esketamine (Spravato)")
        expect(part).to_contain_text("✗ Not enrolled")
        part.get_by_role("link", name="Record the REMS enrolment").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Spravato REMS enrolment")
        assert_accessible_at_tablet_and_phone(page)
        page.get_by_label(re.compile(r"^REMS patient enrolment id")).fill("RP-5531907")
        page.get_by_label(re.compile(r"^Enrolled on")).fill(
            (NOW.date() - dt.timedelta(days=2)).isoformat()
        )
        page.get_by_role("button", name="Record the enrolment").click()
        expect(page.get_by_text("The REMS enrolment is recorded.")).to_be_visible()

        # --- 56 mg prescribed from the register's lot of devices --------------------------------
        page.goto(record_url)
        expect(part).to_contain_text("✓ Enrolled RP-5531907")
        prescription = part.get_by_role("form", name="Prescribe esketamine")
        prescription.get_by_label(re.compile(r"^Dose")).select_option(value="56")
        prescription.get_by_label(re.compile(r"^Lot of devices")).select_option(value=LOT)
        prescription.get_by_role("button", name="Prescribe esketamine").click()
        expect(part).to_contain_text(
            f"Esketamine 56 mg intranasal: 2 devices of 28 mg, 5 minutes apart, from lot {LOT}."
        )
        assert_accessible_at_tablet_and_phone(page)

        # --- The nurse, on her own tablet, makes the second check as herself -----------------
        nurse_page = second_tablet
        login(nurse_page, nurse.email)
        nurse_page.goto(record_url)
        check = nurse_page.get_by_role("form", name="Second check")
        expect(check).to_contain_text("esketamine 56 mg, 2 devices of 28 mg")
        check.get_by_label(re.compile(r"^Checker's email")).fill(nurse.email)
        check.get_by_label(re.compile(r"^Checker's password")).fill(PASSWORD)
        check.get_by_role("button", name="I have checked this dose").click()
        expect(nurse_page.get_by_role("region", name="Dose", exact=True)).to_contain_text(
            f"by {nurse.display_name}"
        )

        # --- The gates pass, REMS enrolment among them; the clinician starts -------------------
        page.goto(gates_url)
        gates = page.get_by_role("region", name="The gates")
        expect(
            gates.get_by_role("heading", name=re.compile(r"^Spravato REMS patient enrolment"))
        ).to_have_text(re.compile(r"Passed$"))
        page.get_by_role("button", name="Start dosing session").click()
        page.get_by_role("link", name="Open the dosing record").click()
        expect(page.locator(".lead")).to_contain_text("In progress")

        # --- Blood pressure, then the devices 5 minutes apart -----------------------------------
        take_reading(page, hr=74, sbp=124, dbp=78, spo2=98, rr=14)
        expect(page.get_by_text("Reading recorded.")).to_be_visible()
        part.get_by_role("form", name="Record device 1 of 2").get_by_role(
            "button", name="Record the device"
        ).click()
        expect(part.get_by_role("list").first).to_contain_text("Device 1 of 2 at")
        wait(4)
        part.get_by_role("form", name="Record device 2 of 2").get_by_role(
            "button", name="Record the device"
        ).click()
        expect(part).to_contain_text("wait 5 minutes between devices")
        assert_accessible_at_tablet_and_phone(page)
        wait(1)
        part.get_by_role("form", name="Record device 2 of 2").get_by_role(
            "button", name="Record the device"
        ).click()
        expect(part.get_by_role("list").first).to_contain_text("Device 2 of 2 at")

        # --- About 40 minutes after the first device, the blood pressure again ---------------
        wait(35)
        take_reading(page, hr=80, sbp=138, dbp=86, spo2=98, rr=14)
        bp = part.get_by_role("table")
        expect(bp.get_by_role("row").nth(1)).to_contain_text("✓")
        expect(bp.get_by_role("row").nth(2)).to_contain_text("✓")

        # --- A good discharge check, the effects resolved: still under 2 hours -----------------
        wait(60)
        take_reading(page, hr=74, sbp=126, dbp=80, spo2=98, rr=14)
        resolution = part.get_by_role("form", name="Check the effects")
        for box in resolution.get_by_role("checkbox").all():
            box.check()
        resolution.get_by_role("button", name="Save the check").click()
        expect(part).to_contain_text("sedation resolved, dissociation resolved")
        discharge = page.get_by_role("region", name="Discharge")
        check_form = discharge.get_by_role("form", name="Record a discharge check")
        for item in ALDRETE_ITEMS:
            check_form.get_by_role(
                "group", name=re.compile(rf"^{re.escape(item.label)}")
            ).get_by_role("radio", name=re.compile(r"^2 –")).check()
        for criterion in ("Alert and oriented", "Escort present", "Written after-care"):
            check_form.get_by_label(re.compile(rf"^{criterion}")).check()
        check_form.get_by_role("button", name="Save the discharge check").click()
        discharge.get_by_role("button", name="Discharge the patient").click()
        unmet = discharge.get_by_role("list").filter(has_text="Observed for")
        expect(unmet).to_contain_text("the clinic requires 120 min")
        assert DosingRecord.objects.get(session=session).discharged_at is None

        # --- Two hours after the last device, with a reading before leaving ------------------
        wait(25)
        take_reading(page, hr=72, sbp=124, dbp=78, spo2=98, rr=14)
        expect(discharge).to_contain_text("✓ Ready")
        discharge.get_by_role("button", name="Discharge the patient").click()
        expect(discharge).to_contain_text("✓ Discharged")
        rows = part.get_by_role("table").get_by_role("row")
        expect(rows.nth(3)).to_contain_text("✓")

        # --- The REMS form: its PDF, then recorded as sent ------------------------------------
        expect(part).to_contain_text("Due by Dec 8, 2026")
        pdf = page.request.get(
            part.get_by_role("link", name="The form as PDF").get_attribute("href")
        )
        assert pdf.headers["content-type"] == "application/pdf"
        sent = part.get_by_role("form", name="Record the form as sent")
        sent.get_by_label(re.compile(r"^REMS confirmation number")).fill("REMS-0042")
        sent.get_by_role("button", name="Record as sent").click()
        expect(part).to_contain_text("✓ Sent")
        assert_accessible_at_tablet_and_phone(page)

    record = DosingRecord.objects.get(session=session)
    assert record.confirmed_by == nurse
    assert record.nasal_devices.count() == 2
    assert record.discharged_at - record.dose_ended_at >= dt.timedelta(minutes=120)
