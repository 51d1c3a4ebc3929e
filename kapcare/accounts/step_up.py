"""Step-up re-authentication: the person proves again, at the moment of an irreversible
clinical act (signing a record, releasing a summary), that they are who the session says.

Everyone re-enters their password; someone with an authenticator app also types its current
code (a code already used, e.g. at sign-in, is refused: django-otp accepts each time step
once), both checked. The form (`second_factor_forms.StepUpMixin`) calls `reauthenticate`,
which returns a `Reauthentication` saying how they did it (`Method`); the service that does
the act takes it and calls `require`, so the check holds for every caller, page or API, and
not only where a form happens to ask.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.refusals import Refused

FIELD = "reauthentication"  # the password
CODE_FIELD = "reauthentication_code"  # the authenticator's code, for those with an app


class Method:
    """How someone re-authenticated, as kept on the signed row (`kept.reauthentication_field`,
    16 characters at most)."""

    PASSWORD_AND_AUTHENTICATOR = "password+code"
    PASSWORD = "password"
    # Kept rows from before the password was asked of everyone: the code alone.
    AUTHENTICATOR = "authenticator"


# How each method reads after "confirmed with" / "re-entered" on a signed record.
DESCRIPTIONS = {
    Method.PASSWORD_AND_AUTHENTICATOR: "their password and authenticator code",
    Method.PASSWORD: "their password",
    Method.AUTHENTICATOR: "their authenticator code",
}


def describe(method: str) -> str:
    """“their password and authenticator code”; "" for rows from before it was kept."""
    return DESCRIPTIONS.get(method, "")


@dataclass(frozen=True)
class Reauthentication:
    """Proof that `user_id` re-entered a code (or password) at `at`."""

    user_id: int
    method: str
    at: dt.datetime


def has_authenticator(user) -> bool:
    """Whether `user` also types their authenticator's code (one query)."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def method_for(user) -> str:
    """How `user` re-authenticates: password and code when they have an app, else the
    password."""
    return Method.PASSWORD_AND_AUTHENTICATOR if has_authenticator(user) else Method.PASSWORD


def reauthenticate(user, password: str, code: str = "") -> Reauthentication:
    """Check `password`, then, for someone with an authenticator app, `code` (its current
    code). A wrong password is refused at the password field before the code is tried (so
    the code is not used up); a wrong code at the code field, counted like a sign-in
    failure (django-otp slows the next try)."""
    if not password or not user.check_password(password):
        raise Refused({FIELD: "That password is not right."})
    if not has_authenticator(user):
        return Reauthentication(user.pk, Method.PASSWORD, timezone.now())
    code = "".join((code or "").split())
    if not code:
        raise Refused({CODE_FIELD: "Type the six-digit code your authenticator app shows now."})
    # The refusal is raised after the transaction, which keeps the failure counted.
    with transaction.atomic():
        device = (
            TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update().first()
        )
        allowed, _ = device.verify_is_allowed()
        verified = allowed and device.verify_token(code)
    if not allowed:
        raise Refused(
            {CODE_FIELD: "Too many wrong codes: wait a few seconds, then type the newest code."}
        )
    if not verified:
        raise Refused(
            {
                CODE_FIELD: "That code is not right, or was already used: "
                "type the code your authenticator app shows now."
            }
        )
    return Reauthentication(user.pk, Method.PASSWORD_AND_AUTHENTICATOR, timezone.now())


def require(reauthentication: Reauthentication | None, actor, *, what: str) -> None:
    """Refuse `what` unless the actor re-authenticated just now (within
    STEP_UP_VALID_SECONDS, so a proof cannot be kept for later)."""
    if reauthentication is None or reauthentication.user_id != actor.user.pk:
        raise Refused({FIELD: f"Re-enter your password to {what}."})
    age = timezone.now() - reauthentication.at
    if age > dt.timedelta(seconds=settings.STEP_UP_VALID_SECONDS):
        raise Refused({FIELD: f"Re-enter your password to {what}: the one given is too old."})
