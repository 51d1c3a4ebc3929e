"""Two-factor sign-in: who needs a second factor, enrolling an authenticator app, checking
a code at sign-in, and the recovery codes.

The devices are django-otp's: a `TOTPDevice` (RFC 6238, the six-digit code of any
authenticator app) and a `StaticDevice` holding the recovery codes, each deleted when used.
django-otp counts wrong codes on each device and makes the next try wait twice as long
after each one (its `ThrottlingMixin`); on top of that a session that types
`MAX_WRONG_CODES` wrong codes in a row is signed out and must give the password again, where
django-axes counts the failures.

A session counts as verified once django-otp's `login` has put the device's id in it, so
the check on every request reads the session and costs no query.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from io import BytesIO

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts.models import STAFF_ROLES, Role, User

# Staff see every patient of the clinic and outside therapists see shared records: both
# always need a second factor. Patients need one when their clinic says so.
ROLES_ALWAYS_REQUIRED = frozenset({*STAFF_ROLES, Role.THERAPIST})

AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10
FAILURES_SESSION_KEY = "kapcare_second_factor_failures"

TOTP_CODE = re.compile(r"^\d{6}$")
WAIT_MESSAGE = "Too many wrong codes: wait a few seconds, then try again with the newest code."


def max_wrong_codes() -> int:
    return settings.SECOND_FACTOR_MAX_WRONG_CODES


def is_required(user: User) -> bool:
    """Whether `user` must pass a second factor before using kapcare."""
    if user.role in ROLES_ALWAYS_REQUIRED:
        return True
    return (
        user.role == Role.PATIENT
        and user.clinic_id is not None
        and user.clinic.patients_need_second_factor
    )


def is_verified(request: HttpRequest) -> bool:
    """Whether this session passed the second factor (no query)."""
    return django_otp.DEVICE_ID_SESSION_KEY in request.session


def authenticator(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if any."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def has_authenticator(user: User) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Enrolment -----------------------------------------------------------------------------


def pending_authenticator(user: User) -> TOTPDevice:
    """The authenticator being set up: kept unconfirmed until a code from the app proves
    the person copied the key, so reloading the page shows the same key."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def manual_key(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in: base32, in groups of four."""
    key = base64.b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """The `otpauth://` address as an SVG QR code, to put in the page itself: no image file,
    no request the secret could leak through, nothing a Content-Security-Policy refuses."""
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=20, border=2
    )
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    svg = svg[svg.index("<svg") :]
    return svg.replace("<svg ", '<svg role="img" aria-labelledby="qr-caption" ', 1)


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    recovery_codes: list[str]


def confirm_authenticator(request: HttpRequest, code: str) -> Enrolment | None:
    """Confirm the pending authenticator with a code from the app; on success, replace any
    earlier authenticator and recovery codes, issue fresh recovery codes and count this
    session as verified. None when the code is wrong (counted on the device)."""
    user = request.user
    with transaction.atomic():
        device = (
            TOTPDevice.objects.devices_for_user(user, confirmed=False).select_for_update().first()
        )
        if device is None or not device.verify_token(code):
            return None
        TOTPDevice.objects.devices_for_user(user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_recovery_codes(user)
    _verified(request, device)
    return Enrolment(device=device, recovery_codes=codes)


def regenerate_recovery_codes(user: User) -> list[str]:
    """New recovery codes; the old ones stop working at once."""
    with transaction.atomic():
        return _replace_recovery_codes(user)


def _replace_recovery_codes(user: User) -> list[str]:
    device = StaticDevice.objects.devices_for_user(user, confirmed=None).first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    device.throttle_reset(commit=False)
    device.confirmed = True
    device.save()
    return codes


# --- Sign-in -------------------------------------------------------------------------------


class Outcome:
    VERIFIED = "verified"
    WRONG = "wrong"
    WAIT = "wait"
    SIGNED_OUT = "signed_out"


@dataclass(frozen=True)
class Check:
    outcome: str
    message: str = ""


def verify_sign_in(request: HttpRequest, code: str) -> Check:
    """Check the code typed after the password: six digits are the authenticator's code,
    anything else a recovery code (used up by this). A wrong code is counted on the device
    (django-otp slows the next try) and in the session, which is signed out at the limit."""
    user = request.user
    code = "".join(code.split()).lower()
    model = TOTPDevice if TOTP_CODE.match(code) else StaticDevice
    with transaction.atomic():
        device = model.objects.devices_for_user(user, confirmed=True).select_for_update().first()
        if device is not None:
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                return Check(Outcome.WAIT, WAIT_MESSAGE)
            if device.verify_token(code):
                _verified(request, device)
                return Check(Outcome.VERIFIED)
    failures = request.session.get(FAILURES_SESSION_KEY, 0) + 1
    if failures >= max_wrong_codes():
        logout(request)
        return Check(
            Outcome.SIGNED_OUT,
            f"{failures} wrong codes in a row: you were signed out. Sign in again.",
        )
    request.session[FAILURES_SESSION_KEY] = failures
    left = max_wrong_codes() - failures
    return Check(
        Outcome.WRONG,
        "That code is not right, or was already used. "
        f"{left} more {'try' if left == 1 else 'tries'} before you are signed out.",
    )


def _verified(request: HttpRequest, device) -> None:
    request.session.pop(FAILURES_SESSION_KEY, None)
    # A new session key once the second factor is passed, as at the password step, so a
    # key seen before the code was typed is worth nothing.
    request.session.cycle_key()
    django_otp.login(request, device)
