import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
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
