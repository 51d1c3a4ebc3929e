"""Staff pages with tables on a phone (390 × 844): every data table becomes one card per row
(`tables.js` names each cell after its column header, `kapcare.css` lays the rows out as
cards below 576 px), so no page scrolls sideways (`scrollWidth <= innerWidth`) — the patient
list, the day's schedule, the clinic's estimates and the access log — and each cell of a
stacked table says which column it belongs to, whether the table has a <thead> or opens
with a row of headers. The pages pass axe at that size. (Every portal page is checked in
`test_portal_phone.py`.)"""

import pytest
from playwright.sync_api import Page

from kapcare.audit.log import Actor
from kapcare.billing.services import issue_estimate
from tests.browser.helpers import PHONE, assert_accessible, login
from tests.clock import wall_clock
from tests.factories import PatientFactory, RoomFactory, open_episode, plan_session

COORDINATOR_PAGES = ("/patients/", "/estimates/")
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


def stacked_tables(page: Page) -> int:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll("main table.stacks"))
            .filter(table => getComputedStyle(table).display === "block").length"""
    )


def check_on_a_phone(page: Page, path: str, *, has_tables: bool = True) -> None:
    # The home page's board loads its parts by htmx: let them answer first (on SQLite the
    # live server's threads share one in-memory database, one writer at a time).
    page.wait_for_load_state("networkidle")
    response = page.goto(path)
    assert response is not None
    assert response.ok, f"{path} answered {response.status}"
    assert_fits_the_screen(page, path)
    if has_tables:
        assert stacked_tables(page) >= 1, f"{path} shows no table as cards"
    assert unstacked_tables(page) == [], path
    assert_accessible(page)


# A table written without <thead>, its first row the column headers, as a template or an
# htmx answer might bring one: stacked like the others once htmx has settled it.
ADD_A_TABLE_WITHOUT_A_HEAD = """() => {
  const table = document.createElement("table");
  table.innerHTML = "<caption>Added</caption><tr><th>Patient</th><th>Room</th></tr>"
    + "<tr><td>Ada Moreau-Vandenberghe-Oosterhuis</td><td>Suite 1</td></tr>";
  document.querySelector("main").appendChild(table);
  document.body.dispatchEvent(new Event("htmx:afterSettle", {bubbles: true}));
  return Array.from(table.querySelectorAll("td")).map(cell => cell.dataset.label);
}"""


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
    issue_estimate(
        actor=Actor(user=coordinator, ip_address="127.0.0.1"),
        episode=episode,
        reason="Requested",
        requested=True,
    )
    page.set_default_timeout(30_000)  # the shared 2-core machine can be slow to answer
    page.set_viewport_size(PHONE)

    login(page, coordinator.email)
    # The day's schedule is a time grid (no table); the episode lists its sessions.
    check_on_a_phone(page, "/schedule/day/", has_tables=False)
    for path in (*COORDINATOR_PAGES, f"/episodes/{episode.external_id}/"):
        check_on_a_phone(page, path)

    assert page.evaluate(ADD_A_TABLE_WITHOUT_A_HEAD) == ["Patient", "Room"]
    assert unstacked_tables(page) == []
    assert_fits_the_screen(page, "a table without a head")

    page.context.clear_cookies()
    login(page, clinic_admin.email)
    for path in ADMIN_PAGES:
        check_on_a_phone(page, path)
