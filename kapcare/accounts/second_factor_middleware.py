from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import urlencode

from kapcare.accounts import second_factor


class SecondFactorMiddleware:
    """After the password step, a person who needs a second factor reaches no page before
    passing it: without an authenticator app they are sent to set one up, with one to type
    its code. Verified sessions cost no query.

    Left open: the pages of the second factor themselves and signing out. The JSON API is
    not session-authenticated, nor is the FHIR interface (bearer tokens only, made on the
    profile page, which needs a verified session): each is left to its own authentication.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.open_paths = None

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not second_factor.is_verified(request)
            and not self.is_open(request.path)
            and second_factor.is_required(user)
        ):
            return self.refuse(request, user)
        return self.get_response(request)

    def is_open(self, path: str) -> bool:
        if self.open_paths is None:
            self.open_paths = (
                reverse("second_factor:enrol"),
                reverse("second_factor:verify"),
                reverse("accounts:logout"),
                "/api/",
                "/fhir/",
            )
        return path.startswith(self.open_paths)

    @staticmethod
    def refuse(request, user):
        step = (
            "second_factor:verify"
            if second_factor.has_authenticator(user)
            else "second_factor:enrol"
        )
        target = request.get_full_path() if request.method in {"GET", "HEAD"} else ""
        url = resolve_url(step) + (f"?{urlencode({'next': target})}" if target else "")
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
