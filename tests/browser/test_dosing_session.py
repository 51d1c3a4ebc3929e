"""A dosing session in a browser, on a tablet at the bedside: the clinician fills in the
day-of checklist on the gates page, prescribes the dose on the dosing record and reads its
arithmetic, the lot chosen from the register; a nurse, on her own tablet, makes the second
check typing her own password; the clinician starts the session, takes a reading every ten
minutes — a systolic pressure of 186 raises an alert at once, naming the clinic's threshold
— records the end of the infusion and the ketamine drawn, given and wasted before the
nurse, who types her own email and password on the clinician's tablet; discharge is
refused while the observation time runs, then granted once it has passed and the pressure
is back near its pre-dose value; the record is signed, the clinician re-entering the code
of their authenticator app. The pages pass axe at tablet and phone sizes.

The live server runs in this process, so the clock that time_machine moves is the
server's too: the session runs on its planned morning, and the clock moves forward ten
minutes between readings (less than the staff's idle time-out)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from kapcare.accounts import second_factor
from kapcare.dosing.discharge.rules import ALDRETE_ITEMS
from kapcare.dosing.models import DosingRecord
from kapcare.dosing.substances import services as substances_services
from kapcare.dosing.vitals.rules import MOAAS_LEVELS
from kapcare.episodes.models import SessionStatus
from kapcare.episodes.tests.test_gate_facts import DOSE, NOW, actor, ready_episode
from tests.browser.helpers import PHONE, TABLET, assert_accessible, go_to, login
from tests.factories import PASSWORD, plan_session, vouched
from tests.second_factor import unused_code

LOT = "KET-2611"
LOT_EXPIRY = dt.date(2027, 6, 30)
BETWEEN_READINGS = dt.timedelta(minutes=10)


def assert_accessible_at_tablet_and_phone(page) -> None:
    for viewport in (PHONE, TABLET):
        page.set_viewport_size(viewport)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)


@pytest.fixture
def dosing_session(clinic, clinician, nurse, patient, patient_user):
    """A blended-model dose planned for 9:00 on Dec 1: the patient eligible, consented,
    prepared, screened and weighed (72.5 kg), with nothing recorded on the day yet; a lot
    of ketamine in the clinic's stock, counted in with the nurse."""
    with time_machine.travel(NOW, tick=False):
        episode = ready_episode(patient, clinician, patient_user)
        session = plan_session(episode, clinician, starts_at=DOSE)
        substances_services.receive_stock(
            actor=actor(clinician),
            clinic=clinic,
            lot_number=LOT,
            lot_expiry=LOT_EXPIRY,
            amount_mg=Decimal("500"),
            witness=vouched(nurse),
            strength="50 mg/mL",
            dosage_form="injectable_solution",
        )
    return session


@pytest.fixture
def second_tablet(browser, live_server):
    """Another staff member's tablet: a browser context of its own, signed in apart."""
    context = browser.new_context(base_url=live_server.url, viewport=TABLET, bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def take_reading(page, *, hr, sbp, dbp, spo2, rr, sedation=MOAAS_LEVELS[5]):
    """A set of vitals as the nurse types them: the time is filled in already."""
    entry = page.get_by_role("form", name="Record a reading")
    for label, value in [("HR", hr), ("SBP", sbp), ("DBP", dbp), ("SpO2", spo2), ("RR", rr)]:
        entry.get_by_label(re.compile(rf"^{label}\b")).fill(str(value))
    entry.get_by_label(re.compile(r"^MOAA/S")).select_option(label=sedation)
    # Saved through htmx: the vitals part is replaced in place, without a page load.
    with page.expect_response(lambda r: r.request.method == "POST" and "/vitals/" in r.url):
        entry.get_by_role("button", name="Save reading").click()


@pytest.mark.browser
def test_clinician_runs_a_dose_on_a_tablet_from_checklist_to_signed_record(
    page, second_tablet, clinic, clinician, nurse, patient, dosing_session
):
    session = dosing_session
    page.set_viewport_size(TABLET)
    with time_machine.travel(NOW, tick=True) as clock:
        # --- 8:30, the clinician opens the dose's gates from the episode ----------------------
        login(page, clinician.email)
        go_to(page, "Patients")
        page.get_by_role("link", name=f"{patient.family_name}, {patient.given_name}").click()
        page.get_by_role("region", name="Course of care").get_by_role(
            "link", name="Blended KAP"
        ).click()
        page.get_by_role("link", name="Gates for the dosing session of Dec 1").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Dosing session gates")
        start = page.get_by_role("button", name="Start dosing session")
        expect(start).to_be_disabled()
        assert_accessible_at_tablet_and_phone(page)

        # --- The day-of checklist ---------------------------------------------------------------
        checklist = page.get_by_role("region", name="Day-of checklist")
        for box in checklist.get_by_role("checkbox").all():
            box.check()
        checklist.get_by_label(re.compile(r"^Pregnancy test")).select_option(label="Negative")
        checklist.get_by_label(re.compile(r"^Pre-dose systolic")).fill("124")
        checklist.get_by_label(re.compile(r"^Pre-dose diastolic")).fill("78")
        checklist.get_by_role("button", name="Save checklist").click()
        gates = page.get_by_role("region", name="The gates")
        expect(gates.get_by_role("heading", name="Day-of checklist")).to_have_text(
            "Day-of checklist Passed"
        )
        # The dose is not prescribed yet: the session cannot start.
        expect(start).to_be_disabled()
        expect(start).to_have_accessible_description(re.compile(r"^Cannot start yet:.*dose"))

        # --- The clinician prescribes the dose and reads its arithmetic ---------------------------
        page.get_by_role("link", name="Open the dosing record").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Dosing session record")
        assert_accessible_at_tablet_and_phone(page)
        prescription = page.get_by_role("form", name="Prescribe the dose")
        prescription.get_by_label(re.compile(r"^Route")).select_option(label="Intravenous")
        prescription.get_by_label(re.compile(r"^Prescribed dose \(mg/kg\)")).fill("0.5")
        # The arithmetic as typed, before saving (static/kapcare/dose-arithmetic.js).
        expect(prescription.locator("output")).to_have_text("0.5 mg/kg × 72.5 kg = 36.3 mg")
        prescription.get_by_label(re.compile(r"^Infusion duration")).fill("40")
        prescription.get_by_label(re.compile(r"^Lot \(from the register\)")).select_option(
            value=LOT
        )
        prescription.get_by_role("button", name="Prescribe").click()
        dose = page.get_by_role("region", name="Dose", exact=True)
        expect(dose).to_contain_text("0.5 mg/kg × 72.5 kg = 36.3 mg")
        expect(dose).to_contain_text("Waiting for a second check")
        expect(dose).to_contain_text(f"lot {LOT} (expires Jun 30, 2027)")
        record_url = page.url.split("#")[0]

        # --- The nurse, on her own tablet, makes the second check as herself ------------------
        nurse_page = second_tablet
        login(nurse_page, nurse.email)
        nurse_page.goto(record_url)
        check = nurse_page.get_by_role("form", name="Second check")
        expect(check).to_contain_text("0.5 mg/kg × 72.5 kg = 36.3 mg")
        check.get_by_label(re.compile(r"^Checker's email")).fill(nurse.email)
        check.get_by_label(re.compile(r"^Checker's password")).fill(PASSWORD)
        check.get_by_role("button", name="I have checked this dose").click()
        expect(nurse_page.get_by_role("region", name="Dose", exact=True)).to_contain_text(
            "Prescribed and checked by a second person"
        )
        expect(nurse_page.get_by_role("region", name="Dose", exact=True)).to_contain_text(
            f"by {nurse.display_name}"
        )

        # --- The clinician starts the session from the gates page --------------------------------
        page.goto(record_url)
        expect(page.get_by_role("region", name="Dose", exact=True)).to_contain_text("✓ Checked")
        page.get_by_role("link", name="Gates and start").click()
        expect(gates.get_by_role("heading", name=re.compile(r"^Dose"))).to_have_text(
            re.compile(r"Passed$")
        )
        assert_accessible_at_tablet_and_phone(page)
        page.get_by_role("button", name="Start dosing session").click()
        page.get_by_role("link", name="Open the dosing record").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Dosing session record")
        expect(page.locator(".lead")).to_contain_text("In progress")

        events = page.get_by_role("region", name="Events")
        events.get_by_role("button", name="Save the start").click()
        dose_times = events.get_by_role("definition")
        expect(dose_times.filter(has_text=re.compile(r"^8:30 AM$"))).to_be_visible()
        expect(dose_times.filter(has_text="▶ Running")).to_be_visible()

        # --- Vitals every ten minutes: the third reading's pressure is high ---------------------
        vitals = page.get_by_role("region", name="Vital signs")
        page.evaluate("window.notReloaded = true")
        take_reading(page, hr=78, sbp=128, dbp=80, spo2=98, rr=14)
        expect(page.get_by_text("Reading recorded.")).to_be_visible()
        # Saved in place: the readings and chart changed and the page was not loaded again.
        expect(vitals.get_by_role("region", name="Readings of this session")).to_contain_text("128")
        assert page.evaluate("window.notReloaded === true")
        clock.shift(BETWEEN_READINGS)
        page.goto(record_url)
        take_reading(page, hr=92, sbp=152, dbp=92, spo2=97, rr=14)
        expect(vitals.get_by_role("alert")).to_have_count(0)
        clock.shift(BETWEEN_READINGS)
        page.goto(record_url)
        take_reading(page, hr=96, sbp=186, dbp=104, spo2=97, rr=15)
        alert = vitals.get_by_role("alert")
        expect(alert).to_contain_text("Systolic blood pressure 186 mmHg")
        expect(alert).to_contain_text("▲ High")
        expect(alert).to_contain_text(f"SBP ≥ {clinic.vitals_systolic_high}")
        expect(vitals.get_by_role("list", name="Alerts")).to_contain_text("SBP 186 mmHg")
        readings = vitals.get_by_role("region", name="Readings of this session")
        expect(readings.get_by_role("row").nth(1)).to_contain_text("186 ▲ High")
        assert_accessible_at_tablet_and_phone(page)
        page.set_viewport_size(TABLET)

        clock.shift(BETWEEN_READINGS)
        page.goto(record_url)
        take_reading(page, hr=84, sbp=150, dbp=90, spo2=98, rr=14)
        # --- 41 minutes after the start the infusion has run its 40 minutes ------------------
        clock.shift(BETWEEN_READINGS + dt.timedelta(minutes=1))
        page.goto(record_url)
        events.get_by_role("button", name="Save the end").click()
        # Saved as the form proposed it: the start (8:30) plus the 40-minute infusion.
        expect(dose_times.filter(has_text=re.compile(r"^9:10 AM$"))).to_be_visible()
        expect(dose_times.filter(has_text=re.compile(r"^Ended$"))).to_be_visible()

        # --- The ketamine drawn, given and wasted, witnessed by the nurse -------------------------
        substance = page.get_by_role("region", name="Controlled substance")
        use = substance.get_by_role("form", name="Record the ketamine used")
        use.get_by_label(re.compile(r"^Lot\b")).select_option(value=LOT)
        use.get_by_label(re.compile(r"^Drawn up")).fill("40")
        use.get_by_label(re.compile(r"^Given")).fill("36.3")
        use.get_by_label(re.compile(r"^Wasted")).fill("3.7")
        use.get_by_label(re.compile(r"^Returned")).fill("0")
        # The nurse types her own email and password on the clinician's tablet.
        use.get_by_label(re.compile(r"^Witness's email")).fill(nurse.email)
        use.get_by_label(re.compile(r"^Witness's password")).fill(PASSWORD)
        use.get_by_role("button", name="Record in the register").click()
        expect(substance).to_contain_text(
            f"Lot {LOT}: 40 mg drawn up, 36.3 mg given, 3.7 mg wasted."
        )
        expect(substance).to_contain_text("✓ Balances")
        expect(substance.get_by_role("row").filter(has_text="Wasted")).to_contain_text(
            nurse.full_name
        )

        # --- The discharge check passes, but the observation time has not ---------------------
        discharge = page.get_by_role("region", name="Discharge")
        check_form = discharge.get_by_role("form", name="Record a discharge check")
        for item in ALDRETE_ITEMS:
            check_form.get_by_role(
                "group", name=re.compile(rf"^{re.escape(item.label)}")
            ).get_by_role("radio", name=re.compile(r"^2 –")).check()
        for criterion in ("Alert and oriented", "Escort present", "Written after-care"):
            check_form.get_by_label(re.compile(rf"^{criterion}")).check()
        check_form.get_by_role("button", name="Save the discharge check").click()
        expect(
            discharge.get_by_role("definition").filter(has_text=re.compile(r"^10 of 10 \("))
        ).to_be_visible()
        discharge.get_by_role("button", name="Discharge the patient").click()
        expect(
            discharge.get_by_text(re.compile(r"^Not discharged: 2 criteria are unmet"))
        ).to_be_visible()
        unmet = discharge.get_by_role("list").filter(has_text="Observed for")
        expect(unmet).to_contain_text(
            f"the clinic requires {clinic.discharge_observation_minutes} min"
        )
        assert DosingRecord.objects.get(session=session).discharged_at is None

        # --- An hour of observation, a reading every ten minutes, back near the baseline ----------
        for hr, sbp in [(82, 140), (80, 136), (80, 132), (78, 130), (76, 128), (76, 126)]:
            clock.shift(BETWEEN_READINGS)
            page.goto(record_url)
            take_reading(page, hr=hr, sbp=sbp, dbp=80, spo2=98, rr=14)
        expect(discharge).to_contain_text("✓ Ready")
        discharge.get_by_role("button", name="Discharge the patient").click()
        expect(page.get_by_text("Patient discharged; the session is done.")).to_be_visible()
        expect(discharge).to_contain_text("✓ Discharged")

        # --- The clinician signs ------------------------------------------------------------------
        signature = page.get_by_role("region", name="Signature and addenda")
        signature.get_by_label(re.compile(r"^Your password")).fill(PASSWORD)
        signature.get_by_label(re.compile(r"^Your current authenticator code")).fill(
            unused_code(second_factor.authenticator(clinician))
        )
        signature.get_by_role("button", name="Sign the record").click()
        expect(signature).to_contain_text(f"✓ Signed by {clinician.display_name}")
        expect(page.get_by_role("form", name="Record a reading")).to_have_count(0)
        assert_accessible_at_tablet_and_phone(page)

        # --- The lot's register balances: 500 mg received, 40 mg drawn up, 3.7 mg wasted ----
        page.set_viewport_size(TABLET)
        page.get_by_role("link", name="The clinic's controlled-substance register").click()
        expect(page.get_by_role("region", name=f"The register of lot {LOT}")).to_contain_text(
            nurse.full_name
        )
        assert_accessible_at_tablet_and_phone(page)

    session.refresh_from_db()
    assert session.status == SessionStatus.DONE
    record = DosingRecord.objects.get(session=session)
    assert record.signed_by == clinician
    assert record.confirmed_by == nurse
    assert record.dose_mg == Decimal("36.3")
