"""Rate limits on what anyone can reach without signing in: the sign-in page, password
reset, questionnaire links and the public consultation form.

Counting is django-ratelimit's, in Django's cache (`CACHES["default"]`), so every worker
and every machine behind one database or one Redis shares the counts. A refused request
answers 429 with a Retry-After header and the page it came from, as typed: the caller
passes the template and context it would have rendered.
"""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage


@dataclass(frozen=True)
class Usage:
    is_limited: bool
    retry_after_seconds: int

    @property
    def retry_after_minutes(self) -> int:
        """Whole minutes, rounded up, as a page says it to a person."""
        return max(1, -(-self.retry_after_seconds // 60))


def count(request: HttpRequest, *, group: str, key, rate: str, increment: bool = True) -> Usage:
    """Count this request against `rate` for its `key` (django-ratelimit's key: "ip", or a
    callable of (group, request)); with `increment=False` only read where the count is."""
    usage = get_usage(request, group=group, key=key, rate=rate, increment=increment)
    if usage is None:  # RATELIMIT_ENABLE is off
        return Usage(is_limited=False, retry_after_seconds=0)
    return Usage(is_limited=usage["should_limit"], retry_after_seconds=max(usage["time_left"], 1))


def too_many_requests(
    request: HttpRequest, template: str, context: dict, usage: Usage
) -> HttpResponse:
    """The page the request came from, re-rendered as it was typed, with the 429 status and
    `rate_limited` and `retry_after_minutes` in the context for its message."""
    context = {
        **context,
        "rate_limited": True,
        "retry_after_minutes": usage.retry_after_minutes,
    }
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(usage.retry_after_seconds)
    return response


def posted_email(group: str, request: HttpRequest) -> str:
    """A key for limits per email address: the posted `email`, as accounts store it."""
    return request.POST.get("email", "").strip().lower()
