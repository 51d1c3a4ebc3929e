"""Helpers shared by the invitation tests (no tests here): invitations sent through the
service as the directory page sends them, the link read back from the email, and the
accept form filled as the therapist fills it."""

import re

from django.core import mail

from kapcare.audit.log import Actor
from kapcare.therapists import invitations
from kapcare.therapists.forms import initial_of

PASSWORD = "seven swans a-swimming"


def invite(profile, by):
    """Send `profile` an invitation from `by`; returns the invitation."""
    return invitations.invite_therapist(
        actor=Actor(user=by, ip_address="127.0.0.1"), profile=profile
    )


def link_in_last_email() -> str:
    """The path of the invitation link in the last email sent."""
    return re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[-1].body).group(1)


def token_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def accept_form(profile, password=PASSWORD, again=None, **changes) -> dict:
    """The accept page's form as the therapist sends it: the entry as shown, with
    `changes`, and the password twice."""
    data = {
        name: value
        for name, value in initial_of(profile).items()
        if value is not None and value is not False
    }
    data.update(changes)
    data["password"] = password
    data["password_again"] = password if again is None else again
    return data
