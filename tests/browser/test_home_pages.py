"""Each role signs in through the form, lands on its own home page, and every page it sees
first passes axe at desktop and phone sizes."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import DESKTOP, PHONE, assert_accessible, login
from tests.factories import ConsultationRequestFactory

# persona fixture (from conftest.py), the fixture holding its sign-in, its home page
HOMES = [
    ("coordinator", "coordinator", "/desk/"),
    ("clinician", "clinician", "/clinical/"),
    ("clinic_admin", "clinic_admin", "/clinic-admin/"),
    ("therapist", "therapist", "/therapist/"),
    ("patient", "patient_user", "/portal/"),
]


@pytest.fixture
def busy_clinic(clinic, other_patient):
    """Something on every list: a patient and a consultation request waiting."""
    ConsultationRequestFactory(clinic=clinic)
    return clinic


def assert_accessible_at_both_sizes(page) -> None:
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)


@pytest.mark.browser
@pytest.mark.parametrize(("persona", "user_fixture", "home_path"), HOMES)
def test_each_role_signs_in_to_its_own_accessible_home_page(
    request, page, live_server, busy_clinic, persona, user_fixture, home_path
):
    request.getfixturevalue(persona)
    user = request.getfixturevalue(user_fixture)

    login(page, user.email)

    expect(page).to_have_url(live_server.url + home_path)
    assert_accessible_at_both_sizes(page)


@pytest.mark.browser
def test_public_consultation_page_is_accessible(page, clinic):
    response = page.goto(f"/consultation/{clinic.slug}/")

    assert response is not None
    assert response.ok, f"GET {response.url} returned {response.status}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible_at_both_sizes(page)


@pytest.mark.browser
def test_a_table_wider_than_a_phone_can_be_scrolled_by_keyboard(page, patient_user, patient):
    login(page, patient_user.email)
    page.set_viewport_size(PHONE)
    page.goto("/access-log/mine/")
    # A table too wide for the phone, as a long name or a many-column history makes one.
    page.evaluate(
        """() => {
            const box = document.createElement("div");
            box.className = "table-scroll";
            box.innerHTML = "<table><caption>Wide results</caption><tr><td>wide</td></tr></table>";
            box.querySelector("td").style.minWidth = "900px";
            document.querySelector("main").append(box);
            window.dispatchEvent(new Event("resize"));
        }"""
    )
    box = page.locator(".table-scroll", has_text="wide")

    expect(box).to_have_attribute("tabindex", "0")
    expect(box).to_have_attribute("role", "region")
    expect(box).to_have_attribute("aria-label", "Wide results")
    box.focus()
    page.keyboard.press("ArrowRight")
    # Scrolling may be smooth: wait for it to move rather than read it at once.
    page.wait_for_function("el => el.scrollLeft > 0", arg=box.element_handle(), timeout=5000)
    assert_accessible(page)


@pytest.mark.browser
def test_a_long_staff_menu_wraps_instead_of_scrolling_sideways_at_laptop_widths(page, coordinator):
    # The coordinator's menu is among the longest; between the "lg" width, where the menu
    # leaves the Menu button, and a wide desktop it once ran off the right of the page.
    login(page, coordinator.email)
    expect(page).to_have_url(re.compile(r"/desk/$"))
    for width in (992, 1024, 1100, 1200, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{scroll_width} px wide at a {width} px window"
        expect(page.get_by_role("button", name="Sign out")).to_be_in_viewport()
