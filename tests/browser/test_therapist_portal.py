"""The outside therapist's portal in a browser, at a desk: a coordinator has added a
therapist to the clinic's directory and invited them; a patient in a blended episode naming
that therapist shares everything with them; yesterday's dose is done and its summary
released, the next dose is planned. The therapist opens the invitation link from the email,
sets a password and confirms their entry, sets up two-factor sign-in (an authenticator
app; outside therapists must), lands on their home, where the patient needs
attention (a new summary, an integration due); they read the summary on the shared record
and record today's integration session, which is then listed. A clinician opens the next
dose's gates: the integration rule passes. Every page passes axe (the shared record at
phone size too).

The live server runs in this process, so the clock that time_machine moves is the
server's too: "today" is Tuesday, December 1, 2026, 3 PM in Chicago."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from kapcare.dosing import recording
from kapcare.dosing.models import DosingRecord
from kapcare.dosing.signing import services as signing_services
from kapcare.dosing.summary import services as summary_services
from kapcare.episodes.gates import facts as gate_facts
from kapcare.episodes.models import CareSession, SessionKind, SessionStatus
from kapcare.episodes.tests.test_gate_facts import actor, fetched, give_dose, ready_episode
from kapcare.scopes import Scope
from kapcare.therapists.invitations import add_and_invite_therapist
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login, set_up_authenticator
from tests.factories import plan_session
from tests.second_factor import reauthenticated

GIVEN_AT = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)  # yesterday, 9:00 AM in Chicago
RELEASED_AT = dt.datetime(2026, 11, 30, 19, 0, tzinfo=dt.UTC)  # yesterday, 1:00 PM
TODAY = dt.datetime(2026, 12, 1, 21, 0, tzinfo=dt.UTC)  # today, 3:00 PM
NEXT_DOSE = dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC)  # Thursday, 9:00 AM
SUMMARY = "Calm session; the patient wants to talk about their father at integration."
NOTE = "Ready for the next dose."
INTEGRATION_GATE = "Integration since the last dose"


def invitation_link(therapist) -> str:
    """The link in the invitation email sent to `therapist` (the outbox keeps no body)."""
    invitations = [
        m for m in mail.outbox if m.to == [therapist.email] and "/invitations/" in m.body
    ]
    assert len(invitations) == 1, [m.subject for m in mail.outbox]
    return re.search(r"https?://\S+/invitations/[A-Za-z0-9_-]+/", invitations[0].body).group(0)


@pytest.fixture
def shared_care(live_server, settings, clinic, coordinator, clinician, patient, patient_user):
    """The invited therapist (no password yet), and a blended episode naming them in which
    yesterday's dose is done, signed and its summary released; the next dose planned."""
    settings.SITE_URL = live_server.url
    with time_machine.travel(GIVEN_AT - dt.timedelta(hours=2), tick=False):
        therapist = add_and_invite_therapist(
            actor=actor(coordinator),
            clinic=clinic,
            email="iris@example.org",
            full_name="Iris Integration",
        )
        episode = ready_episode(
            patient, clinician, patient_user, therapist=therapist, shares=Scope.values
        )
        dose = plan_session(episode, clinician, starts_at=GIVEN_AT)
    give_dose(dose, GIVEN_AT)
    record = recording.record_for(actor(clinician), fetched(dose))
    DosingRecord.objects.filter(pk=record.pk).update(
        route="iv",
        prescribed_mg_per_kg=Decimal("0.500"),
        weight_kg=Decimal("70.0"),
        dose_mg=Decimal("35.00"),
        dose_started_at=GIVEN_AT + dt.timedelta(minutes=5),
        dose_ended_at=GIVEN_AT + dt.timedelta(minutes=45),
        discharged_at=GIVEN_AT + dt.timedelta(hours=2),
        discharged_by=clinician,
    )
    with time_machine.travel(RELEASED_AT, tick=False):
        record = DosingRecord.objects.get(pk=record.pk)
        record = signing_services.sign_record(
            actor=actor(clinician), record=record, reauthentication=reauthenticated(clinician)
        )
        summary_services.release_summary(
            actor=actor(clinician),
            record=record,
            text=SUMMARY,
            reauthentication=reauthenticated(clinician),
        )
        next_dose = plan_session(episode, clinician, starts_at=NEXT_DOSE)
    assert not therapist.has_usable_password()
    return therapist, next_dose


@pytest.mark.browser
def test_invited_therapist_joins_reads_the_summary_and_records_integration_for_the_gate(
    page, live_server, clinic, clinician, patient, shared_care
):
    therapist, next_dose = shared_care
    gates = {g.rule: g for g in gate_facts.evaluate_for_session(fetched(next_dose), NEXT_DOSE)}
    assert not gates["integration"].passed  # nothing recorded since yesterday's dose yet
    page.set_viewport_size(DESKTOP)

    with time_machine.travel(TODAY, tick=True):
        # --- The therapist opens the link from the email ------------------------------------
        page.goto(invitation_link(therapist))
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Join {clinic.name}’s directory of therapists"
        )
        expect(page.get_by_role("main")).to_contain_text(therapist.email)
        assert_accessible(page)
        page.get_by_label(re.compile(r"^Your name")).fill("Iris Integration")
        page.get_by_label("Letters after your name").fill("LMFT")
        page.get_by_role("group", name=re.compile(r"^Modalities you practise")).get_by_label(
            "IFS"
        ).check()
        page.get_by_label(re.compile(r"^Choose a password")).fill("mossy-heron-lantern-42")
        page.get_by_label(re.compile(r"^The same password again")).fill("mossy-heron-lantern-42")
        page.get_by_role("button", name="Confirm my entry and set my password").click()

        # --- Signed in, they set up two-factor sign-in before anything else ------------------
        expect(page.get_by_text("Welcome, Iris Integration. Your password is set")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
        set_up_authenticator(page)

        # --- Their home: the patient, with what needs attention -----------------------------
        expect(page).to_have_url(live_server.url + reverse("therapist_home"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Your patients")
        row = page.get_by_role("row").filter(has_text=patient.display_name)
        expect(row).to_contain_text("New session summary released Nov 30")
        expect(row).to_contain_text(re.compile(r"Integration due by .*after the dose of Nov 30"))
        expect(row).to_contain_text("Next dose Thu Dec 3, 9:00 AM")
        expect(row).to_contain_text(Scope.SESSION_SUMMARIES.label)
        assert_accessible(page)

        # --- The shared record: the summary ------------------------------------------------
        row.get_by_role("link", name=patient.display_name, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(patient.display_name)
        summaries = page.get_by_role("region", name="Dosing session summaries")
        expect(summaries.get_by_role("article")).to_have_count(1)
        summary = summaries.get_by_role("article", name="Session of Monday, November 30, 2026")
        expect(summary).to_contain_text(SUMMARY)
        sessions = page.get_by_role("region", name=re.compile(r"^Your sessions with"))
        expect(sessions).to_contain_text("Preparation session")  # the clinic's, last week
        expect(sessions).not_to_contain_text("Integration session")
        assert_accessible(page)

        # --- Today's integration session -------------------------------------------------
        sessions.get_by_role("link", name="Record a session").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Record a session")
        expect(page.get_by_role("main")).to_contain_text(
            "Psychotherapy notes stay in your own records."
        )
        assert_accessible(page)
        page.get_by_role("group", name=re.compile(r"^Session")).get_by_label(
            "Integration session"
        ).check()
        page.get_by_label(re.compile(r"^Date")).fill("2026-12-01")
        page.get_by_label(re.compile(r"^Start time")).fill("13:00")
        page.get_by_label(re.compile(r"^Length \(minutes\)")).fill("50")
        page.get_by_role("group", name=re.compile(r"^Modality")).get_by_label("IFS").check()
        page.get_by_role("group", name=re.compile(r"^Attendance")).get_by_label("Attended").check()
        page.get_by_label(re.compile(r"^Coordination note for the clinic")).fill(NOTE)
        page.get_by_role("button", name="Record").click()

        expect(page.get_by_text("Integration session recorded as done.")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_text(patient.display_name)
        recorded = sessions.get_by_role("table", name="Recorded")
        held = recorded.get_by_role("row").filter(has_text="Tue Dec 1, 2026, 1:00 PM")
        expect(held).to_contain_text("Integration session")
        expect(held).to_contain_text("✓ Attended")
        expect(held).to_contain_text("IFS")
        expect(held).to_contain_text("50 min")
        assert_accessible(page)
        # On a phone too: its tables scroll sideways, and the keyboard can scroll them.
        page.set_viewport_size(PHONE)
        assert_accessible(page)
        page.set_viewport_size(DESKTOP)

        # Back home, the integration is no longer due and the summary no longer new.
        page.get_by_role("link", name="All your patients").click()
        row = page.get_by_role("row").filter(has_text=patient.display_name)
        expect(row).to_contain_text("Next dose Thu Dec 3")
        expect(row).not_to_contain_text("Integration due")
        expect(row).not_to_contain_text("New session summary")
        assert_accessible(page)

        session = CareSession.objects.get(patient=patient, kind=SessionKind.INTEGRATION)
        assert session.status == SessionStatus.DONE
        assert session.run_by == therapist
        assert (session.duration_minutes, session.modality) == (50, "ifs")

        # --- A clinician opens the next dose's gates: the integration rule passes ---------
        page.context.clear_cookies()
        login(page, clinician.email)
        page.goto(reverse("gates:session", args=[next_dose.external_id]))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Dosing session gates")
        integration = page.get_by_role("region", name="The gates").get_by_role(
            "heading", name=INTEGRATION_GATE
        )
        expect(integration).to_have_text(re.compile(rf"^{INTEGRATION_GATE} Passed"))
        assert_accessible(page)
