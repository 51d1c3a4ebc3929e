"""Screenshots of each role's home page at desktop and phone size, for the README, and of
a few pages a clinic runs its day on (the week's calendar, the Today board, portal pages).

Run against a server with the demo loaded (`make run`, or any port):

    .venv/bin/python docs/screenshots/take_screenshots.py [http://127.0.0.1:8000] [--out DIR]

The "before" set (docs/screenshots/before/, the interface at commit bd3c301, before the
design system) was taken by this script with `--homes-only --out docs/screenshots/before`
against that commit's server with its demo loaded: its sign-in form has the same labels.

Each demo person signs in through the form (the demo password, and for staff and the
therapist the demo authenticator's code) and each page is saved as
<DIR>/<name>-<desktop|phone>.png (DIR is docs/screenshots/ unless --out says otherwise).
Pages load their live parts (the Today board's gates) before the picture is taken. Uses
the system Chromium, as the browser tests. PNGs over 300 KB are re-saved with fewer colours.
"""

import argparse
import binascii
import re
import time
from pathlib import Path

from django_otp.oath import TOTP
from PIL import Image
from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "kapcare-demo"  # kapcare/demo/sign_ins.py
AUTHENTICATOR_KEY = binascii.unhexlify(b"kapcare-demo-2fa-key".hex())
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
MAX_BYTES = 300_000
# (file name, who signs in, path or None for their home, sizes).
ROLES = [
    ("coordinator", "coordinator@demo.kapcare.org"),
    ("clinician", "clinician@demo.kapcare.org"),
    ("nurse", "nurse@demo.kapcare.org"),
    ("clinic-admin", "admin@demo.kapcare.org"),
    ("therapist", "therapist@demo.kapcare.org"),
    ("patient", "patient@demo.kapcare.org"),
]
PAGES = [(role, email, None, tuple(SIZES)) for role, email in ROLES] + [
    ("calendar-week", "coordinator@demo.kapcare.org", "/schedule/week/", tuple(SIZES)),
    ("calendar-day", "coordinator@demo.kapcare.org", "/schedule/day/", ("phone",)),
    ("today-board", "clinician@demo.kapcare.org", "/clinical/#today-board", ("phone",)),
    ("portal-sharing", "patient@demo.kapcare.org", "/portal/sharing/", ("phone",)),
    ("portal-education", "patient@demo.kapcare.org", "/portal/education/", ("phone",)),
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


def settle(page) -> None:
    """Wait until the page's live fragments (hx-trigger="load") have been swapped in."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("!document.querySelector('[hx-trigger=\"load\"]')", timeout=30_000)


def shrink(path: Path) -> None:
    if path.stat().st_size <= MAX_BYTES:
        return
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE).save(
            path, optimize=True
        )


def main(base: str, out: Path, homes_only: bool = False) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        # One sign-in per person: an authenticator code is accepted once only.
        signed_in: dict[str, dict] = {}
        for name, email, url, sizes in PAGES[: len(ROLES)] if homes_only else PAGES:
            context = browser.new_context(
                viewport=SIZES["desktop"], storage_state=signed_in.get(email)
            )
            context.set_default_timeout(60_000)
            page = context.new_page()
            if email not in signed_in:
                sign_in(page, base, email)
                signed_in[email] = context.storage_state()
            else:
                page.goto(f"{base}/home/")
            for size in sizes:
                page.set_viewport_size(SIZES[size])
                if url:
                    page.goto(f"{base}{url}")
                else:
                    page.reload()
                settle(page)
                if url and "#" in url:
                    page.locator("#" + url.split("#", 1)[1]).scroll_into_view_if_needed()
                path = out / f"{name}-{size}.png"
                page.screenshot(path=str(path))
                shrink(path)
                print(path, page.url, f"{path.stat().st_size // 1000} KB")
            context.close()
        browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument(
        "--homes-only", action="store_true", help="only each role's home (as for before/)"
    )
    arguments = parser.parse_args()
    main(arguments.base.rstrip("/"), arguments.out, arguments.homes_only)
