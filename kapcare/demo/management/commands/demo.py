import io

import qrcode
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kapcare.demo.build import CLINICS, LOGINS, PASSWORD, authenticator_key, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo clinics, one sign-in per role, patients and consultation requests. "
        "Development only (DEBUG on); does nothing if the demo is already loaded."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "The demo sets known passwords, so it only runs with DEBUG on. "
                "Run it with DEBUG=1 on a development database, never in production."
            )
        result = load_demo()
        if result.loaded:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo loaded: {len(CLINICS)} clinics, {len(LOGINS)} sign-ins, "
                    f"{result.patient_count} patients, "
                    f"{result.request_count} consultation requests."
                )
            )
        else:
            self.stdout.write("The demo is already loaded; nothing changed.")
        self.stdout.write(logins_table())
        self.stdout.write(authenticator_help())


def logins_table() -> str:
    rows = [
        (
            login.email,
            login.role.label,
            CLINICS[login.clinic_slug]["name"] if login.clinic_slug else "(outside therapist)",
        )
        for login in LOGINS
    ]
    header = ("Email", "Role", "Clinic")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    lines = [f"\nDemo sign-ins (password for all: {PASSWORD})\n"]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def authenticator_help() -> str:
    """How to get the second factor's codes: the shared demo key, typed or scanned."""
    key = authenticator_key()
    address = f"otpauth://totp/kapcare%20demo?secret={key}&issuer=kapcare%20demo"
    code = qrcode.QRCode(border=1)
    code.add_data(address)
    picture = io.StringIO()
    code.print_ascii(out=picture, invert=True)
    return (
        "\nStaff and the therapist sign in with a code after the password. Add this key to "
        "an authenticator app\n(time-based, 6 digits), or scan the QR code below; "
        "`oathtool --totp -b KEY` prints the code too.\n"
        f"Authenticator key for every demo sign-in: {key}\n"
        "Patients sign in with the password only, unless the clinic settings ask for a code."
        "\n\n" + picture.getvalue()
    )
