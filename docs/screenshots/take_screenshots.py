"""Screenshots of each role's home page at desktop and phone size, for the README.

Run against a server with the demo loaded (`make run`, or any port):

    .venv/bin/python docs/screenshots/take_screenshots.py [http://127.0.0.1:8000]

Each demo person signs in through the form (the demo password, and for staff and the
therapist the demo authenticator's code) and the home page is saved as
docs/screenshots/<role>-<desktop|phone>.png. Uses the system Chromium, as the browser tests.
"""

import binascii
import re
import sys
import time
from pathlib import Path

from django_otp.oath import TOTP
from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "kapcare-demo"  # kapcare/demo/sign_ins.py
AUTHENTICATOR_KEY = binascii.unhexlify(b"kapcare-demo-2fa-key".hex())
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
ROLES = [
    ("coordinator", "coordinator@demo.kapcare.org"),
    ("clinician", "clinician@demo.kapcare.org"),
    ("nurse", "nurse@demo.kapcare.org"),
    ("clinic-admin", "admin@demo.kapcare.org"),
    ("therapist", "therapist@demo.kapcare.org"),
    ("patient", "patient@demo.kapcare.org"),
]


def authenticator_code() -> str:
    totp = TOTP(AUTHENTICATOR_KEY, step=30, t0=0, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(re.compile(r"^Email\b")).fill(email)
    page.get_by_label(re.compile(r"^Password\b")).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    code = page.get_by_label(re.compile(r"^Code from your authenticator app"))
    if code.count():
        code.fill(authenticator_code())
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        for role, email in ROLES:
            context = browser.new_context(viewport=SIZES["desktop"])
            page = context.new_page()
            sign_in(page, base, email)
            for size, viewport in SIZES.items():
                page.set_viewport_size(viewport)
                page.reload()
                path = HERE / f"{role}-{size}.png"
                page.screenshot(path=str(path))
                print(path.relative_to(HERE.parent.parent), page.url)
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
