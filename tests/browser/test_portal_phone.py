"""The patient portal on a phone (390 × 844): every portal page the patient can reach from
their home fits the screen (no sideways scrolling: `scrollWidth <= innerWidth`), and the
portal's new pages pass axe. The patient, with a dose booked on Tuesday, reads "Fasting and
your ride home" from the home's guides card and presses "I have read this"; the clinician,
at a desk, opens the dose's day-of checklist and sees it read. On the PHQ-9 the crisis box
appears as soon as question 9 is answered above "Not at all", before anything is sent.

"Now" is Thursday, December 10, 2026, 10 AM in Chicago (the live server runs in this
process, so the frozen clock is the server's too)."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from kapcare.education.models import EducationReceipt
from kapcare.episodes.tests.test_gate_facts import NOW, ready_episode
from kapcare.journal.tests.factories import journal_entry
from kapcare.messaging.tests.factories import patient_thread
from kapcare.scopes import Scope
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login
from tests.factories import plan_session

TODAY = dt.datetime(2026, 12, 10, 16, 0, tzinfo=dt.UTC)  # Thursday, 10:00 AM in Chicago
DOSE = dt.datetime(2026, 12, 15, 15, 0, tzinfo=dt.UTC)  # Tuesday, 9:00 AM
# Pages that change something when opened, or leave the portal: not crawled.
NOT_CRAWLED = re.compile(r"/(logout|read|revoke|withdraw|unshare|share)/|\.pdf$|/pdf/")
# The portal's own pages, and the patient's pages outside /portal/ linked from it.
CRAWLED = re.compile(r"^/(portal|messages|access-log/mine|accounts/profile)/")
AXE_CHECKED = ("/portal/", "/portal/education/", "/portal/sharing/", "/portal/consents/sign/")


@pytest.fixture
def care(clinician, patient, patient_user, therapist):
    """A blended episode, consented, its therapist authorised for every scope; a dose on
    Tuesday; a journal entry and a message thread, so that their pages exist."""
    with time_machine.travel(NOW, tick=False):
        episode = ready_episode(
            patient, clinician, patient_user, therapist=therapist, shares=Scope.values
        )
        session = plan_session(episode, clinician, starts_at=DOSE)
        journal_entry(patient)
        patient_thread(patient, clinician)
    return session


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


def portal_pages(page) -> list[str]:
    """Every page reachable by links from the portal home, breadth first."""
    seen, queue = [], ["/portal/"]
    while queue and len(seen) < 60:
        path = queue.pop(0)
        if path in seen:
            continue
        response = page.goto(path)
        assert response is not None
        assert response.ok, f"{path} answered {response.status}"
        seen.append(path)
        hrefs = page.eval_on_selector_all("main a[href], nav a[href]", "as => as.map(a => a.href)")
        for href in hrefs:
            parts = urlsplit(href)
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            wanted = CRAWLED.match(parts.path) and not NOT_CRAWLED.search(parts.path)
            if wanted and local not in seen and local not in queue:
                queue.append(local)
    return seen


def assert_fits_the_screen(page, path: str) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{path} is {widths[0]} px wide on a {widths[1]} px screen"


@pytest.mark.browser
def test_every_portal_page_fits_a_phone_and_a_guide_read_shows_on_the_checklist(
    page, second_browser, live_server, clinician, patient, patient_user, care
):
    page.set_viewport_size(PHONE)
    with time_machine.travel(TODAY, tick=True):
        login(page, patient_user.email)

        # --- Every page the patient reaches fits the screen ---------------------------------
        pages = portal_pages(page)
        assert {"/portal/sharing/", "/portal/education/", "/portal/consents/"} <= set(pages)
        for path in pages:
            page.goto(path)
            assert_fits_the_screen(page, path)
            if path in AXE_CHECKED:
                assert_accessible(page)

        # --- The home's guides card: fasting and the ride home first ------------------------
        page.goto(reverse("portal:home"))
        guides = page.get_by_role("region", name="Guides for your next step")
        expect(guides.get_by_role("link").first).to_have_text("Fasting and your ride home")
        guides.get_by_role("link", name="Fasting and your ride home").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Fasting and your ride home")
        expect(page.get_by_role("article")).to_contain_text("cannot drive until the next day")
        assert_fits_the_screen(page, page.url)
        assert_accessible(page)
        page.get_by_role("button", name="I have read this").click()
        expect(page.get_by_text("your care team can see that you read this page")).to_be_visible()
        assert EducationReceipt.objects.filter(patient=patient).count() == 1

        # --- The clinician sees it on the day-of checklist ----------------------------------
        desk = second_browser()
        login(desk, clinician.email)
        desk.goto(reverse("gates:session", args=[care.external_id]))
        receipts = desk.locator(".education-receipts")
        expect(receipts.get_by_role("listitem").filter(has_text="Fasting and your ride home"))
        expect(
            receipts.get_by_role("listitem").filter(has_text="Fasting and your ride home")
        ).to_contain_text("Read")
        expect(
            receipts.get_by_role("listitem").filter(has_text="What a dose feels like")
        ).to_contain_text("Not read yet")
        assert_accessible(desk)
        desk.context.close()

        # --- PHQ-9: the crisis box before sending -------------------------------------------
        page.goto(reverse("measures:portal_questionnaire", args=["phq9"]) + "?all=1")
        crisis = page.get_by_role("alert").filter(has_text="Help is available right now")
        expect(crisis).to_be_hidden()
        question_9 = page.locator("fieldset#item_9")
        question_9.get_by_label("Several days", exact=True).check()
        expect(crisis).to_be_visible()
        expect(crisis.get_by_role("link", name="988")).to_be_visible()
        assert_accessible(page)
        question_9.get_by_label("Not at all", exact=True).check()
        expect(crisis).to_be_hidden()
