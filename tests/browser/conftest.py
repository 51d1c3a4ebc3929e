"""Browser fixtures: Debian's Chromium driven by Playwright's sync API against the live
test server. No browser is ever downloaded: `make test` installs the `chromium` package."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.helpers import DESKTOP

# Playwright's sync API keeps an event loop running in the test thread; the ORM calls that
# build each test's data are still plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"Browser tests need Debian's Chromium at {CHROMIUM}, which is missing. "
            "Run `make test` (it installs it) or `apt-get install chromium`.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Runs in every page before the page's own scripts, so that a style attribute refused
# while the HTML is parsed is reported as well as one a script or htmx adds later.
# They are also kept in `window.cspViolations` for a test to wait on.
REPORT_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const violation = `${event.effectiveDirective} refused ${event.blockedURI || "inline code"}`
    + ` on ${document.location.pathname}`
    + (event.sourceFile ? ` (${event.sourceFile}:${event.lineNumber})` : "")
    + (event.sample ? `: ${event.sample}` : "");
  window.cspViolations.push(violation);
  window.reportCspViolation(violation);
});
"""


@pytest.fixture
def page(browser, live_server):
    """A page under the site's real Content-Security-Policy: the test fails on any
    violation, seen by the page's `securitypolicyviolation` event or in its console."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    violations: list[str] = []

    def report(violation: str) -> None:
        violations.append(violation)

    def read_console(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    context.expose_function("reportCspViolation", report)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("console", read_console)
    page.csp_violations = violations
    yield page
    if not page.is_closed():
        page.evaluate("0")  # delivers reports still on their way
    context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
