"""A second person confirms an action on the same screen, as themselves.

Some clinical decisions need two people: a discharge although the vital signs are still out
of range, the second check of a controlled-substance dose, the witness to its waste. A name
picked from a list proves nothing; the second person types their own email and password at
the moment, and the check goes through Django's `authenticate` — the same backends and the
same per-account lockout as signing in — so a wrong password counts against their account.

The view (which has the request) confirms the person; the service that does the action
receives the `SecondPerson` and checks again that they are allowed, in its transaction.
"""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone

from kapcare.refusals import Refused

EMAIL_FIELD = "second_email"
PASSWORD_FIELD = "second_password"
NOT_MATCHED = "That email and password do not match an active account."


@dataclass(frozen=True)
class SecondPerson:
    """Someone who proved who they are at `confirmed_at`, on the acting person's screen."""

    user: object
    confirmed_at: dt.datetime


def confirm_second_person(
    request: HttpRequest, *, email: str, password: str, acting_user
) -> SecondPerson:
    """The account `email` and `password` belong to, if it is someone other than
    `acting_user`; refused at the field otherwise. Whether that person may confirm this
    action is the service's question (`second_person_problem`)."""
    email, problems = email.strip(), {}
    if not email:
        problems[EMAIL_FIELD] = "Enter the second person's email."
    if not password:
        problems[PASSWORD_FIELD] = "The second person enters their own password."
    if problems:
        raise Refused(problems)
    if email.casefold() == acting_user.email.casefold():
        raise Refused({EMAIL_FIELD: "The second person must be someone other than you."})
    try:
        user = authenticate(request, username=email, password=password)
    except PermissionDenied as locked:  # django-axes: too many failures for this account
        raise Refused(
            {PASSWORD_FIELD: "This account is locked after repeated failures; try later."}
        ) from locked
    if user is None or not user.is_active:
        raise Refused({PASSWORD_FIELD: NOT_MATCHED})
    return SecondPerson(user=user, confirmed_at=timezone.now())


def second_person_problem(
    second: SecondPerson, *, acting_user, clinic_id: int, roles: Collection[str], as_what: str
) -> str | None:
    """Why `second` may not confirm an action of `acting_user` in the clinic `clinic_id`
    that needs one of `roles`, in words; None when they may."""
    user = second.user
    if user.pk == acting_user.pk:
        return "The second person must be someone other than you."
    if not user.is_active or user.clinic_id != clinic_id or user.role not in roles:
        return f"{user.display_name} may not act as {as_what} at this clinic."
    return None
