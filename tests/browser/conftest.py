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


@pytest.fixture
def page(browser, live_server):
    # bypass_csp lets the axe script be injected into pages that forbid inline scripts.
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
