"""The second factor in tests.

Most tests sign in with `client.force_login`, which skips the sign-in pages; the root
conftest makes it also count the session as past the second factor, as a person who typed
their code would be (`force_login_past_second_factor`). Tests of the second factor itself
start from `sign_in_with_password_only`, and a persona gets a real authenticator app, whose
codes the test computes as the app would, from `give_authenticator`.
"""

import time

import django_otp
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.accounts import second_factor, step_up
from kapcare.demo.sign_ins import PASSWORD as DEMO_PASSWORD
from tests.factories import PASSWORD

force_login_with_password_only = Client.force_login


def force_login_past_second_factor(client: Client, user, backend=None) -> None:
    """`Client.force_login`, then the session marked as verified for those who need it."""
    force_login_with_password_only(client, user, backend)
    if second_factor.is_required(user):
        session = client.session
        session[django_otp.DEVICE_ID_SESSION_KEY] = f"tests.force_login/{user.pk}"
        session.save()


def sign_in_with_password_only(client: Client, user) -> None:
    """Signed in, the second factor still to pass (as after the password page)."""
    force_login_with_password_only(client, user)


def give_authenticator(user, key: str | None = None) -> TOTPDevice:
    """A confirmed authenticator app for `user` (the demo's or a random key)."""
    fields = {"key": key} if key else {}
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True, **fields)


def code_for(device: TOTPDevice, *, steps_ahead: int = 0, at: float | None = None) -> str:
    """The code the app shows now (or `steps_ahead` time steps later), as six digits."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = (at if at is not None else time.time()) + steps_ahead * device.step
    return f"{totp.token():06d}"


def unused_code(device: TOTPDevice) -> str:
    """A code the device will accept now: the current one, or the next one (inside the
    tolerance of one step) when the current one was already used."""
    device.refresh_from_db()
    for ahead in range(device.tolerance + 1):
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time() + ahead * device.step
        if totp.t() > device.last_t:
            return f"{totp.token():06d}"
    raise AssertionError("Every code the device accepts now was used: wait for the next step.")


def reauthenticated(user, password: str = "") -> step_up.Reauthentication:
    """A fresh step-up proof for `user`, through the real check (their password — the
    personas', the demo's for a demo user, or the one given — and their authenticator's code
    when they have one)."""
    device = second_factor.authenticator(user)
    password = password or (PASSWORD if user.check_password(PASSWORD) else DEMO_PASSWORD)
    return step_up.reauthenticate(user, password, unused_code(device) if device else "")
