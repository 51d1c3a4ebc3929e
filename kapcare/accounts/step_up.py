"""Step-up re-authentication: the person proves again, at the moment of an irreversible
clinical act (signing a record, releasing a summary), that they are who the session says.

Someone with an authenticator app types its current code (a code already used, e.g. at
sign-in, is refused: django-otp accepts each time step once); someone without one (a patient
whose clinic does not ask for a second factor) types their password. The form field in
`forms.StepUpField` calls `reauthenticate`, which returns a `Reauthentication`; the service
that does the act takes it and calls `require`, so the check holds for every caller, page or
API, and not only where a form happens to ask.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kapcare.refusals import Refused

FIELD = "reauthentication"


class Method:
    AUTHENTICATOR = "authenticator"
    PASSWORD = "password"


@dataclass(frozen=True)
class Reauthentication:
    """Proof that `user_id` re-entered a code (or password) at `at`."""

    user_id: int
    method: str
    at: dt.datetime


def method_for(user) -> str:
    """What `user` re-enters: the authenticator's code when they have one, else the
    password."""
    has_app = TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
    return Method.AUTHENTICATOR if has_app else Method.PASSWORD


def reauthenticate(user, secret: str) -> Reauthentication:
    """Check `secret` (a current authenticator code, or the password of someone without
    an authenticator); a wrong one is refused at the field and counted like a sign-in
    failure (django-otp slows the next try)."""
    secret = (secret or "").strip()
    if method_for(user) == Method.AUTHENTICATOR:
        code = "".join(secret.split())
        # The refusal is raised after the transaction, which keeps the failure counted.
        with transaction.atomic():
            device = (
                TOTPDevice.objects.devices_for_user(user, confirmed=True)
                .select_for_update()
                .first()
            )
            allowed, _ = device.verify_is_allowed()
            verified = allowed and bool(code) and device.verify_token(code)
        if not allowed:
            raise Refused(
                {FIELD: "Too many wrong codes: wait a few seconds, then type the newest code."}
            )
        if not verified:
            raise Refused(
                {
                    FIELD: "That code is not right, or was already used: "
                    "type the code your authenticator app shows now."
                }
            )
        return Reauthentication(user.pk, Method.AUTHENTICATOR, timezone.now())
    if not secret or not user.check_password(secret):
        raise Refused({FIELD: "That password is not right."})
    return Reauthentication(user.pk, Method.PASSWORD, timezone.now())


def require(reauthentication: Reauthentication | None, actor, *, what: str) -> None:
    """Refuse `what` unless the actor re-authenticated just now (within
    STEP_UP_VALID_SECONDS, so a proof cannot be kept for later)."""
    if reauthentication is None or reauthentication.user_id != actor.user.pk:
        raise Refused({FIELD: f"Re-enter your code to {what}."})
    age = timezone.now() - reauthentication.at
    if age > dt.timedelta(seconds=settings.STEP_UP_VALID_SECONDS):
        raise Refused({FIELD: f"Re-enter your code to {what}: the one given is too old."})
