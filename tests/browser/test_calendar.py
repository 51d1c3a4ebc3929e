"""The calendar in a browser: a coordinator finds a dose on the day's time grid and moves it
by keyboard alone (Tab and Enter, typing the new time), and the therapist's calendar feed
then carries the new time; the coordinator cancels another dose and books its slot again at
once for another patient. The grid and the session's page pass axe at phone and desktop
sizes."""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from kapcare.scheduling import feeds
from tests import clock
from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login
from tests.factories import (
    PatientFactory,
    RoomFactory,
    asked_coverage,
    authorize,
    open_episode,
    plan_session,
)

DOSE = clock.wall_clock(7, 9)  # a week ahead, 09:00 in the clinic (Chicago)


def assert_accessible_at_both_sizes(page: Page) -> None:
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)


def tab_to(page: Page, locator, limit: int = 120) -> None:
    """Press Tab until `locator` has the focus, as a keyboard user moves through a page."""
    for _ in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} never took the focus by Tab")


def local(moment: dt.datetime, clinic) -> dt.datetime:
    return moment.astimezone(clinic.zone)


def ics(page: Page, therapist) -> str:
    feed = feeds.feed_for_user(therapist)
    response = page.request.get(f"/calendar/{feed.token}.ics")
    assert response.ok
    return response.text()


def dtstart(moment: dt.datetime) -> str:
    return f"DTSTART:{moment.astimezone(dt.UTC):%Y%m%dT%H%M%S}Z"


@pytest.fixture
def suite(clinic):
    return RoomFactory(clinic=clinic, name="Suite 1")


@pytest.fixture
def shared_dose(clinic, suite, clinician, patient, therapist):
    """A dose a week ahead whose patient shares their schedule with the therapist."""
    authorize(patient, therapist, scopes=("schedule",), by=clinician)
    episode = open_episode(patient, clinician, therapist=therapist)
    return plan_session(episode, clinician, starts_at=DOSE, room=suite)


@pytest.mark.browser
def test_a_coordinator_moves_a_dose_by_keyboard_and_the_therapists_feed_follows(
    page, live_server, clinic, coordinator, therapist, shared_dose
):
    later = DOSE + dt.timedelta(hours=2)
    assert dtstart(DOSE) in ics(page, therapist)
    login(page, coordinator.email)
    page.goto(f"/schedule/day/?date={local(DOSE, clinic):%Y-%m-%d}")
    assert_accessible_at_both_sizes(page)

    entry = page.get_by_role("link", name=re.compile(r"^Dosing session, Pat Patient"))
    tab_to(page, entry)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dosing session")
    assert_accessible_at_both_sizes(page)

    tab_to(page, page.get_by_label(re.compile(r"^New start")))
    new = local(later, clinic)
    # Chromium's date-and-time field, segment by segment: month, day, year, hour, minute.
    page.keyboard.type(f"{new:%m%d%Y}")
    page.keyboard.press("Tab")
    page.keyboard.type(f"{new:%I%M%p}")
    expect(page.get_by_label(re.compile(r"^New start"))).to_have_value(f"{new:%Y-%m-%dT%H:%M}")
    tab_to(page, page.get_by_role("button", name="Move the session"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Moved.")
    expect(page.get_by_role("region", name="Changes")).to_contain_text("Rescheduled by")
    feed = ics(page, therapist)
    assert dtstart(later) in feed
    assert dtstart(DOSE) not in feed

    page.goto(f"/schedule/week/?date={local(DOSE, clinic):%Y-%m-%d}&by=clinician")
    expect(
        page.get_by_role("link", name=re.compile(r"^Dosing session, Pat Patient"))
    ).to_be_visible()
    assert_accessible_at_both_sizes(page)


@pytest.mark.browser
def test_a_cancelled_slot_is_booked_again_at_once(
    page, live_server, clinic, coordinator, clinician, suite, shared_dose
):
    login(page, coordinator.email)
    page.goto(f"/schedule/sessions/{shared_dose.external_id}/")
    page.get_by_label("Cancelled by the clinic").check()
    page.get_by_label(re.compile(r"^Note")).first.fill("Suite under repair")
    page.get_by_role("button", name="Cancel the session").click()
    expect(page.get_by_role("status")).to_contain_text("Cancelled; the slot is free.")
    assert_accessible_at_both_sizes(page)

    other = open_episode(PatientFactory(clinic=clinic, given_name="Robin"), clinician)
    asked_coverage(other.patient, coordinator)  # the booking form asks it otherwise
    page.goto(f"/episodes/{other.external_id}/sessions/new/")
    page.get_by_label("Dosing session").check()
    page.get_by_label(re.compile(r"^Starts")).fill(f"{local(DOSE, clinic):%Y-%m-%dT%H:%M}")
    page.get_by_label(re.compile(r"^Room")).select_option(label="Suite 1")
    page.get_by_label(re.compile(r"^Clinician")).select_option(label=clinician.display_name)
    page.get_by_role("button", name="Plan the session").click()

    expect(page.get_by_text(re.compile("already booked"))).to_have_count(0)
    assert other.sessions.get().appointment.room == suite
    page.goto(f"/schedule/day/?date={local(DOSE, clinic):%Y-%m-%d}")
    expect(page.get_by_role("link", name=re.compile("Robin"))).to_be_visible()
