"""The patient portal on a phone: a patient in a blended episode, with a dose on Tuesday and
their therapist authorised to see everything, finds on their home what to do before the
dose; the PHQ-9 and GAD-7 are due (the last ones are from before the clinic's window), so
they fill both in, one question per screen, partly by keyboard, and the home no longer asks
for them. They write an intention for the dose and share it with their therapist, who
reads it on the shared record; then they revoke the therapist's authorisation. The
therapist, signing in afresh, finds the shared record gone (404) and the patient off their
home. The patient's pages pass axe at phone size.

The live server runs in this process, so the clock that time_machine moves is the
server's too: "now" is Thursday, December 10, 2026, 10 AM in Chicago."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from kapcare.consents.models import SharingAuthorization
from kapcare.episodes.tests.test_gate_facts import NOW, ready_episode
from kapcare.journal.models import JournalEntry
from kapcare.measures.instruments import GAD7, PHQ9
from kapcare.measures.models import Assessment, AssessmentStatus
from kapcare.scopes import Scope
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, go_to, login
from tests.factories import plan_session

TODAY = dt.datetime(2026, 12, 10, 16, 0, tzinfo=dt.UTC)  # Thursday, 10:00 AM in Chicago
DOSE = dt.datetime(2026, 12, 15, 15, 0, tzinfo=dt.UTC)  # Tuesday, 9:00 AM
DOSE_LABEL = "Tuesday, December 15, 2026, 9:00 AM"
INTENTION = "I want to meet the part of me that is afraid of resting, and listen to it."

# Answers per item (PHQ-9's item 9, about self-harm, is "Not at all": no alert here).
PHQ9_CHOICES = [
    "Several days",
    "Several days",
    "More than half the days",
    "Not at all",
    "Several days",
    "Not at all",
    "Several days",
    "Not at all",
    "Not at all",
]
GAD7_CHOICES = [
    "More than half the days",
    "Several days",
    "Several days",
    "Not at all",
    "Not at all",
    "Several days",
    "Not at all",
]


@pytest.fixture
def care(clinician, patient, patient_user, therapist):
    """A blended episode naming the therapist, authorised for every scope; the PHQ-9 and
    GAD-7 done on Nov 30, which is too early for Tuesday's dose (the window is 7 days)."""
    with time_machine.travel(NOW, tick=False):
        episode = ready_episode(
            patient, clinician, patient_user, therapist=therapist, shares=Scope.values
        )
        plan_session(episode, clinician, starts_at=DOSE)
    return episode


@pytest.fixture
def second_browser(browser, live_server):
    """Another person's browser: a context of its own, at a desk."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, bypass_csp=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def before_your_dose(page):
    return page.get_by_role("region", name="Before your next dose")


def fill_in(page, instrument, choices) -> None:
    """Answer every item of `instrument`, one screen each: the second by keyboard (Space
    chooses, arrows move along the options, Tab reaches Next), the others by tapping."""
    expect(page.get_by_role("heading", level=1)).to_contain_text(instrument.name)
    assert_accessible(page)
    for number, (item, choice) in enumerate(zip(instrument.items, choices, strict=True), 1):
        question = page.get_by_role("group", name=re.compile(re.escape(item.text)))
        expect(question).to_contain_text(f"Question {number} of {len(instrument.items)}")
        if number == 2:
            question.get_by_role("radio").first.focus()
            page.keyboard.press("Space")
            for _ in range([option.label for option in instrument.options].index(choice)):
                page.keyboard.press("ArrowDown")
            expect(question.get_by_label(choice, exact=True)).to_be_checked()
            page.keyboard.press("Tab")
            expect(page.get_by_role("button", name="Next")).to_be_focused()
            page.keyboard.press("Enter")
        else:
            question.get_by_label(choice, exact=True).check()
            page.get_by_role("button", name="Next").click()
        page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Ready to send your answers?")).to_be_visible()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert_accessible(page)


@pytest.mark.browser
def test_patient_prepares_for_a_dose_on_a_phone_shares_an_intention_then_revokes_the_therapist(
    page, second_browser, live_server, clinic, patient, patient_user, therapist, care
):
    shared_url = reverse("sharing:shared_record", args=[patient.external_id])
    page.set_viewport_size(PHONE)
    with time_machine.travel(TODAY, tick=True):
        # --- Home: what to do before Tuesday's dose ------------------------------------------
        login(page, patient_user.email)
        expect(page).to_have_url(live_server.url + reverse("portal:home"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Pat")
        card = before_your_dose(page)
        expect(card).to_contain_text("Tuesday, December 15, 9:00 AM")
        expect(card).to_contain_text("Fasting:")
        expect(card).to_contain_text("A ride home:")
        due = card.get_by_role("list").filter(has_text="Fill in the")
        expect(due.get_by_role("listitem")).to_have_count(2)
        expect(due.get_by_role("listitem").filter(has_text="PHQ-9")).to_contain_text("To do")
        expect(due.get_by_role("listitem").filter(has_text="GAD-7")).to_contain_text("To do")
        assert_accessible(page)

        # --- The PHQ-9, then the home lists only the GAD-7 ----------------------------------
        card.get_by_role("link", name="Fill in the PHQ-9").click()
        fill_in(page, PHQ9, PHQ9_CHOICES)
        go_to(page, "Home")
        expect(card.get_by_role("link", name="Fill in the PHQ-9")).to_have_count(0)
        expect(card.get_by_role("link", name="Fill in the GAD-7")).to_be_visible()

        card.get_by_role("link", name="Fill in the GAD-7").click()
        fill_in(page, GAD7, GAD7_CHOICES)
        go_to(page, "Home")
        expect(card.get_by_role("link", name=re.compile(r"^Fill in the"))).to_have_count(0)
        expect(card).to_contain_text("Done Your PHQ-9 and GAD-7 are up to date for this dose.")
        assert_accessible(page)
        completed = Assessment.objects.filter(
            patient=patient, status=AssessmentStatus.COMPLETED, completed_at__gte=TODAY
        )
        assert sorted(completed.values_list("instrument", "total")) == [("gad7", 5), ("phq9", 6)]

        # --- An intention for Tuesday's dose, shared with the therapist ------------------------
        page.get_by_role("region", name="Your journal").get_by_role(
            "link", name="Write an intention"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("A new journal entry")
        expect(page.get_by_role("radio", name="Intention")).to_be_checked()
        assert_accessible(page)
        page.get_by_label(re.compile(r"^Which dosing session is it about")).select_option(
            label=DOSE_LABEL
        )
        page.get_by_label(re.compile(r"^Your entry")).fill(INTENTION)
        page.get_by_role("button", name="Save privately").click()
        expect(page.get_by_text("Saved in your journal. It is private.")).to_be_visible()
        entry = page.get_by_role("article").filter(has_text=INTENTION)
        expect(entry).to_contain_text("Private Only you can read it")
        expect(entry).to_contain_text("About your dosing session of Tuesday, December 15")
        assert_accessible(page)

        entry.get_by_role("link", name=re.compile(r"^Read, change or share this entry")).click()
        sharing = page.get_by_role("region", name="Sharing")
        expect(sharing).to_contain_text("Private Only you can read this entry.")
        sharing.get_by_label(re.compile(r"^Share this entry with")).select_option(
            label=therapist.display_name
        )
        sharing.get_by_role("button", name="Share this entry").click()
        expect(page.get_by_text(f"Shared with {therapist.display_name}.")).to_be_visible()
        expect(sharing).to_contain_text(f"Shared Shared with {therapist.display_name} on Dec 10")
        assert_accessible(page)
        assert JournalEntry.objects.get(patient=patient).shared_with == therapist

        # --- The therapist, at their desk, reads it ----------------------------------------
        desk = second_browser()
        login(desk, therapist.email)
        response = desk.goto(shared_url)
        assert response is not None
        assert response.status == 200
        journal = desk.get_by_role("region", name="Journal entries shared with you")
        expect(journal.get_by_role("blockquote")).to_have_text(INTENTION)
        assert_accessible(desk)
        desk.context.close()

        # --- The patient revokes the authorisation ----------------------------------------
        go_to(page, "Home")
        page.get_by_role("region", name="Sharing with your therapist").get_by_role(
            "link", name="See or revoke what you share"
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Sharing with your therapist")
        row = page.get_by_role("row").filter(has_text=therapist.email)
        expect(row).to_contain_text("✓ Active")
        assert_accessible(page)
        row.get_by_role("link", name=f"Revoke the authorisation for {therapist.full_name}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Revoke your authorisation for {therapist.full_name}"
        )
        assert_accessible(page)
        page.get_by_role("button", name="Revoke now").click()
        expect(
            page.get_by_text(f"Revoked. {therapist.full_name} can no longer see your record.")
        ).to_be_visible()
        expect(page.get_by_role("row").filter(has_text=therapist.email)).to_contain_text(
            "✕ Revoked"
        )
        assert_accessible(page)
        assert SharingAuthorization.objects.get(patient=patient).revoked_at is not None

        # --- The therapist, signing in afresh, finds nothing ------------------------------
        desk = second_browser()
        login(desk, therapist.email)
        expect(desk.get_by_role("heading", level=1)).to_have_text("Your patients")
        expect(desk.get_by_role("main")).not_to_contain_text(patient.display_name)
        expect(desk.get_by_role("link", name=patient.display_name)).to_have_count(0)
        response = desk.goto(shared_url)
        assert response is not None
        assert response.status == 404
        expect(desk.get_by_role("heading", level=1)).to_have_text("Not found")
        expect(desk.get_by_role("main")).not_to_contain_text(INTENTION)
        assert_accessible(desk)
