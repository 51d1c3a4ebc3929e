"""The browser enforces the site's Content-Security-Policy, and the `page` fixture (see
conftest) reports each violation, so that every browser test fails on one."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login

ADD_STYLED_PARAGRAPH = """() => document.querySelector("main").insertAdjacentHTML(
    "beforeend", '<p id="styled" style="color: rgb(255, 0, 0)">styled</p>')"""
ADD_INLINE_SCRIPT = """() => {
    const script = document.createElement("script");
    script.textContent = "window.inlineScriptRan = true;";
    document.body.append(script);
}"""


def reported(page) -> list[str]:
    page.evaluate("0")  # delivers reports still on their way
    found = list(page.csp_violations)
    page.csp_violations.clear()  # made on purpose here: not a failure of this test
    return found


@pytest.mark.browser
def test_a_style_attribute_is_refused_and_reported(page):
    page.goto("/accounts/login/")

    page.evaluate(ADD_STYLED_PARAGRAPH)

    expect(page.locator("#styled")).not_to_have_css("color", "rgb(255, 0, 0)")
    page.wait_for_function("() => window.cspViolations.length > 0")
    assert any("style-src" in violation for violation in reported(page))


@pytest.mark.browser
def test_an_inline_script_is_refused_and_reported(page):
    page.goto("/accounts/login/")

    page.evaluate(ADD_INLINE_SCRIPT)

    page.wait_for_function("() => window.cspViolations.length > 0")
    assert page.evaluate("() => window.inlineScriptRan === undefined")
    assert any("script-src" in violation for violation in reported(page))


@pytest.mark.browser
def test_htmx_adds_no_style_and_evaluates_no_code(page, coordinator):
    login(page, coordinator.email)
    page.goto("/patients/")

    config = page.evaluate(
        "() => [htmx.config.includeIndicatorStyles, htmx.config.allowEval,"
        " document.querySelectorAll('style').length]"
    )

    assert config == [False, False, 0]


@pytest.mark.browser
def test_clinic_admin_reads_the_api_docs_under_the_policy(page, clinic_admin):
    login(page, clinic_admin.email)

    page.goto("/api/v1/docs")

    expect(page.get_by_text("/api/v1/patients").first).to_be_visible()
