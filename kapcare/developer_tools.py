"""Django's admin site and the API's documentation are hidden in production from all but
admins.

Both describe the application's inside (every model; every endpoint with its fields), and
the admin's sign-in page is one more door to try passwords at. With DEBUG off, anyone who
is not a signed-in clinic admin or superuser (`policy.may_use_developer_tools`) gets the
site's ordinary "not found" answer, the same as for a path that does not exist, so neither
reveals that it is there. With DEBUG on (a developer's machine) both stay open. The API's
schema is still available to code: `kapcare.api.api.get_openapi_schema()`.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth import get_user
from django.http import Http404, HttpRequest, HttpResponseBase
from django.urls import reverse

from kapcare import policy


def is_open_to(request: HttpRequest) -> bool:
    return settings.DEBUG or policy.may_use_developer_tools(request.user)


def admins_only_in_production(view: Callable) -> Callable:
    """For the API's `docs_decorator`: the docs page and openapi.json."""

    @wraps(view)
    def gated(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if not is_open_to(request):
            raise Http404
        return view(request, *args, **kwargs)

    return gated


class AdminSiteGateMiddleware:
    """Every path of the admin site, its sign-in page included, and the bare prefix too
    (which CommonMiddleware would otherwise redirect to the slashed one, giving the site
    away). It sits above CommonMiddleware, so below the session but above the
    authentication middleware: it reads the signed-in user from the session itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        prefix = reverse("admin:index").rstrip("/")
        if request.path.startswith(prefix):
            if not hasattr(request, "user"):
                request.user = get_user(request)
            if not is_open_to(request):
                raise Http404
        return self.get_response(request)
