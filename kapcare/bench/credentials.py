"""How the bench's simulated users are signed in: a session made on the server, and an API
token, for each role's user; both taken back when the bench ends.

The sign-in pages are not what the bench measures, and going through them would make every
simulated user hash a password (Argon2, by design slow), meet the sign-in rate limits and
wait for a fresh authenticator code (each is accepted once). So the bench writes, with
Django's own session store, the session a real sign-in leaves: the user, the backend, the
password hash's digest, the idle-timeout stamp and, for those who need a second factor, the
id of their authenticator (the session counts as past the second factor exactly as after a
typed code). Every request then goes through the same middleware as a person's.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from importlib import import_module

import django_otp
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

from kapcare.accounts import second_factor
from kapcare.accounts.middleware import SESSION_KEY as LAST_ACTIVITY_KEY
from kapcare.accounts.models import ApiToken, User

# The backend a password sign-in records (Django's ModelBackend reading the user with
# their clinic): a session naming a backend not in AUTHENTICATION_BACKENDS is signed out.
MODEL_BACKEND = "kapcare.accounts.backends.UserWithClinicBackend"
TOKEN_NAME = "kapcare bench"


@dataclass
class SignIns:
    """Per role: the session cookie's value and an API token."""

    sessions: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_records: list[ApiToken] = field(default_factory=list)
    csrf_secret: str = ""

    def cookie_header(self, role: str) -> str:
        return (
            f"{settings.SESSION_COOKIE_NAME}={self.sessions[role]}; "
            f"{settings.CSRF_COOKIE_NAME}={self.csrf_secret}"
        )


def open_session(user: User) -> str:
    """A signed-in session for `user`, as after the sign-in pages; its key."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = MODEL_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[LAST_ACTIVITY_KEY] = time.time()
    if second_factor.is_required(user):
        device = second_factor.authenticator(user)
        store[django_otp.DEVICE_ID_SESSION_KEY] = (
            device.persistent_id if device is not None else f"kapcare.bench/{user.pk}"
        )
    store.create()
    return store.session_key


def sign_in(users: dict[str, User]) -> SignIns:
    sign_ins = SignIns(csrf_secret=secrets.token_hex(16))
    for role, user in users.items():
        sign_ins.sessions[role] = open_session(user)
        record, token = ApiToken.issue(user, TOKEN_NAME)
        sign_ins.tokens[role] = token
        sign_ins.token_records.append(record)
    return sign_ins


def sign_out(sign_ins: SignIns) -> None:
    """End the sessions and revoke the tokens (kept, as every token is, with why it ended)."""
    engine = import_module(settings.SESSION_ENGINE)
    for session_key in sign_ins.sessions.values():
        engine.SessionStore(session_key=session_key).delete()
    for record in sign_ins.token_records:
        record.revoke()
