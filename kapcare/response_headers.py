"""`Cache-Control: no-store` on every response the application makes.

Nearly every page and API answer names a patient, and a browser's cache or a shared proxy
would keep it on disk after the person signs out. Telling pages with PHI from pages
without is a judgement made again at every new view, and the few pages without PHI (the
sign-in page, the public consultation form) gain nothing from caching, so the rule is
simply: everything the application answers is not stored. Static files never reach this
middleware — WhiteNoise, above it, serves them with long-lived caching headers.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not is_no_store(response):
            # Replaces whatever else a view asked for: no max-age lets a proxy keep PHI.
            if "Cache-Control" in response:
                del response["Cache-Control"]
            add_never_cache_headers(response)
        return response


def is_no_store(response: HttpResponseBase) -> bool:
    directives = response.get("Cache-Control", "").split(",")
    return any(directive.strip().lower() == "no-store" for directive in directives)
