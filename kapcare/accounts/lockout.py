"""Who django-axes locks out after wrong passwords, and what it says.

Failures are counted by the email the sign-in form posts (lower-cased and trimmed, as
accounts store it), whether or not an account has that email, so the lockout reveals
nothing about which accounts exist. Two counts, each with its own limit within the
cool-off (`AXES_LOCKOUT_PARAMETERS` and `SIGN_IN_FAILURE_LIMITS`, in the same order):

- the email from one network address: a few typos lock only that pair, so colleagues
  behind the same address (a clinic's NAT) keep signing in;
- the email from any address: guessing one account from many addresses locks it.

A single address guessing across many accounts is slowed by the sign-in rate per address
(`kapcare.accounts.views.sign_in`). The reasoning is in docs/security.md.
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def posted_email(request: HttpRequest, credentials: dict | None = None) -> str:
    """The email a sign-in names: from the credentials given to `authenticate`, else the
    form's `username` field (Django's name for it, though users type their email)."""
    value = (credentials or {}).get("username")
    if value is None:
        value = getattr(request, "POST", {}).get("username", "")
    return str(value).strip().lower()


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with one failure limit per lockout parameter instead of one
    for all of them."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """Failures counted against the lockout, on axes' scale: `AXES_FAILURE_LIMIT` or
        more means locked. Locked when any count reaches its own limit."""
        counts = [
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        limits = settings.SIGN_IN_FAILURE_LIMITS
        lock_at = settings.AXES_FAILURE_LIMIT
        if any(count >= limit for count, limit in zip(counts, limits, strict=True)):
            return max(lock_at, *counts)
        return min(max(counts, default=0), lock_at - 1)


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The same page for every locked email, an account's or not."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(
        request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429
    )
    response["Retry-After"] = str(minutes * 60)
    return response
