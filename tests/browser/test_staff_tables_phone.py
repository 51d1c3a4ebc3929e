"""Staff pages with tables on a phone (390 × 844): every data table becomes one card per row
(`tables.js` names each cell after its column header, `kapcare.css` lays the rows out as
cards below 576 px), so no page scrolls sideways (`scrollWidth <= innerWidth`) — the patient
list, the day's schedule, the clinic's estimates and the access log — and each cell of a
stacked table says which column it belongs to. The pages pass axe at that size."""

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import PHONE, assert_accessible, login
from tests.clock import wall_clock
from tests.factories import PatientFactory, RoomFactory, open_episode, plan_session

COORDINATOR_PAGES = ("/patients/", "/schedule/day/", "/estimates/")
ADMIN_PAGES = ("/access-log/",)


def assert_fits_the_screen(page: Page, path: str) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{path} is {widths[0]} px wide on a {widths[1]} px screen"


def unstacked_tables(page: Page) -> list[str]:
    """The data tables on the page that are still laid out as tables, or whose cells do not
    say which column they belong to."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("main table:not(.keep-table)"))
            .filter(table => table.querySelector("th"))
            .filter(table => getComputedStyle(table).display !== "block"
                || Array.from(table.querySelectorAll("tbody td")).some(
                    cell => cell.textContent.trim() && !cell.dataset.label))
            .map(table => (table.querySelector("caption") || table).textContent.trim()
                .slice(0, 60))"""
    )


@pytest.mark.browser
def test_staff_tables_stack_into_cards_on_a_phone(
    page, clinic, coordinator, clinician, clinic_admin
):
    room = RoomFactory(clinic=clinic, name="Suite with a rather long name for a phone")
    for hour in (9, 11):
        patient = PatientFactory(
            clinic=clinic,
            given_name="Maximiliana-Alexandrina",
            family_name=f"Vandenberghe-Oosterhuis {hour}",
            email=f"max{hour}@example.org",
        )
        episode = open_episode(patient, clinician, model="standalone")
        plan_session(episode, clinician, starts_at=wall_clock(0, hour), room=room)
    page.set_default_timeout(30_000)  # the shared 2-core machine can be slow to answer
    page.set_viewport_size(PHONE)

    login(page, coordinator.email)
    for path in COORDINATOR_PAGES:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path} answered {response.status}"
        assert_fits_the_screen(page, path)
        assert unstacked_tables(page) == [], path
        assert_accessible(page)

    page.context.clear_cookies()
    login(page, clinic_admin.email)
    for path in ADMIN_PAGES:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path} answered {response.status}"
        assert_fits_the_screen(page, path)
        assert unstacked_tables(page) == [], path
        assert_accessible(page)
