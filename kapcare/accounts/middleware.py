import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url

from kapcare.accounts.models import Role

SESSION_KEY = "kapcare_last_activity"
# The last activity is written to the session at most this often: a write on every request
# (the session row, or Redis) to move a clock by a few seconds would double the work of a
# signed-in page. The stamp can thus be up to this much older than the last request, so a
# session ends at most this much before its idle limit, never after it.
STAMP_RESOLUTION_SECONDS = 60


class IdleTimeoutMiddleware:
    """Sign out a user who has made no request for the idle timeout of their role.

    Staff and outside therapists: IDLE_TIMEOUT_STAFF (15 min); patients:
    IDLE_TIMEOUT_PATIENT. API requests carry no session and are not affected. The clock
    is moved at most once a minute (STAMP_RESOLUTION_SECONDS).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and self.is_idle(request, user):
            logout(request)
            messages.info(request, "You were signed out after a period of inactivity.")
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
                return response
            return redirect(settings.LOGIN_URL)
        response = self.get_response(request)
        # Stamped after the view, so the request that signs in starts the clock too. API
        # calls authenticate by bearer token and must not create a session.
        if request.user.is_authenticated and not getattr(request, "is_api", False):
            now = time.time()
            last = request.session.get(SESSION_KEY)
            if last is None or now - last >= STAMP_RESOLUTION_SECONDS:
                request.session[SESSION_KEY] = now
        return response

    @staticmethod
    def is_idle(request, user) -> bool:
        limit = (
            settings.IDLE_TIMEOUT_PATIENT
            if user.role == Role.PATIENT
            else settings.IDLE_TIMEOUT_STAFF
        )
        last = request.session.get(SESSION_KEY)
        return last is not None and time.time() - last > limit.total_seconds()


# The sign-in backends a session may name from before their current name: Django keeps the
# backend's dotted path in the session and signs out a session whose path is no longer
# listed in AUTHENTICATION_BACKENDS (`django.contrib.auth.get_user`).
RENAMED_BACKENDS = {
    "django.contrib.auth.backends.ModelBackend": "kapcare.accounts.backends.UserWithClinicBackend"
}


class RenamedBackendMiddleware:
    """Keep signed in, across a deploy that renames the sign-in backend, the sessions
    signed in with the old one: the session's backend path is moved to the new name once,
    before `AuthenticationMiddleware` reads it. The user is still checked as every request
    checks them (active, the password unchanged since sign-in). Sits between the session
    and authentication middleware; reads the session only when the request carries one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            backend = request.session.get(BACKEND_SESSION_KEY)
            if backend in RENAMED_BACKENDS:
                request.session[BACKEND_SESSION_KEY] = RENAMED_BACKENDS[backend]
        return self.get_response(request)
