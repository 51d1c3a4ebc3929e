"""What the browser tests do as a user: sign in, and check a page with axe-core."""

import base64
import re
import time
from pathlib import Path

from django_otp.oath import TOTP
from playwright.sync_api import Page

from kapcare.accounts import second_factor
from kapcare.accounts.models import User
from tests.factories import PASSWORD
from tests.second_factor import give_authenticator, unused_code

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}  # an iPad Air held upright

AXE = Path(__file__).parent / "vendor" / "axe-4.11.4.min.js"
# Every success criterion of WCAG 2.0 and 2.1 at levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}


def login(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person would; someone who needs a second factor
    is given an authenticator app (unless they have one) and types its code."""
    user = User.objects.filter(email__iexact=email).first()
    device = None
    if user is not None and second_factor.is_required(user):
        device = second_factor.authenticator(user) or give_authenticator(user)
    response = page.goto("/accounts/login/")
    assert response is not None
    assert response.ok, f"The sign-in page answered {response.status} at {response.url}"
    # Labels may go on to say "(required)".
    page.get_by_label(re.compile(r"^Email\b")).fill(email)
    page.get_by_label(re.compile(r"^Password\b")).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if device is not None:
        enter_sign_in_code(page, device)


class AuthenticatorApp:
    """What a phone app does with the key typed into it: a six-digit code per 30 s (RFC
    6238, computed with django-otp's own TOTP)."""

    def __init__(self, typed_key: str):
        self.key = base64.b32decode(typed_key.replace(" ", ""))

    def code(self) -> str:
        totp = TOTP(self.key, step=30, t0=0, digits=6)
        totp.time = time.time()
        return f"{totp.token():06d}"


def set_up_authenticator(page: Page) -> AuthenticatorApp:
    """On the set-up page: copy the key into the app, confirm with its code, and go on past
    the recovery codes."""
    app = AuthenticatorApp(page.locator("#manual-key").inner_text())
    page.get_by_label(re.compile(r"^Code from your authenticator app")).fill(app.code())
    page.get_by_role("button", name="Confirm and turn on").click()
    page.get_by_role("link", name="I saved them: continue").click()
    page.wait_for_load_state()
    return app


def enter_sign_in_code(page: Page, device) -> None:
    """The page after the password: the code the app shows now."""
    page.get_by_label(re.compile(r"^Code from your authenticator app")).fill(unused_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def assert_accessible(page: Page) -> None:
    """Fail when axe finds a serious or critical WCAG 2.1 A/AA violation on the page."""
    # Evaluated through the DevTools protocol, which the page's policy does not govern; a
    # <script> tag added to the page would be refused, as it should be.
    page.evaluate(AXE.read_text())
    results = page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: "tag", values: tags},
            resultTypes: ["violations"],
        })""",
        WCAG_TAGS,
    )
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"Accessibility violations on {page.url}:\n" + describe(blocking)


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- [{violation['impact']}] {violation['id']}: {violation['help']} "
            f"({violation['helpUrl']})"
        )
        for node in violation["nodes"][:5]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = node.get("failureSummary", "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


def go_to(page: Page, name: str, exact: bool = False) -> None:
    """Follow a link of the main menu as a person does: open the menu on a phone and the
    group that holds the link (kapcare/navigation.py), then the link."""
    menu = page.get_by_role("navigation", name="Main")
    link = menu.get_by_role("link", name=name, exact=exact)
    if not link.is_visible():
        toggler = menu.get_by_role("button", name="Menu")
        if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
            toggler.click()
    if not link.is_visible():
        # A link in a closed menu is hidden, so found by its text rather than its role.
        text = re.compile(rf"^\s*{re.escape(name)}\s*$") if exact else name
        item = page.locator("a.dropdown-item", has_text=text)
        group = menu.locator("li.dropdown").filter(has=item).first
        group.locator("button.dropdown-toggle").click()
    link.click()
