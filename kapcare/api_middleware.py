"""Every answer under /api/ is JSON, even those django-ninja's views never see.

An unknown path (with DEBUG on, Django's HTML page), a method the path does not take
(ninja's plain-text 405), a bad request Django refuses before any view: each leaves here as
`{"detail": "…"}` with its status and headers. A body larger than any request the API
takes is refused with 413 before it is read.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

API_PREFIX = "/api/"
# The largest request the API takes is a patient's record or a questionnaire's answers, a
# few kilobytes; 1 MiB leaves room and keeps a client from making the server parse more.
MAX_BODY_BYTES = 1024 * 1024
TOO_LARGE = f"The request body is larger than the API takes ({MAX_BODY_BYTES} bytes)."
DETAILS = {
    400: "The request could not be read.",
    404: "Not found.",
    405: "This path does not take the method {method}; it takes {allowed}.",
    413: TOO_LARGE,
}
# Headers an error keeps when its body is replaced.
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


def body_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class JsonApiErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if body_length(request) > MAX_BODY_BYTES:
            return JsonResponse({"detail": TOO_LARGE}, status=413)
        response = self.get_response(request)
        if response.status_code < 400 or is_json(response):
            return response
        return as_json(request, response)


def is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def as_json(request: HttpRequest, response: HttpResponse) -> JsonResponse:
    template = DETAILS.get(response.status_code, response.reason_phrase)
    detail = template.format(method=request.method, allowed=response.get("Allow", ""))
    replaced = JsonResponse({"detail": detail}, status=response.status_code)
    for header in KEPT_HEADERS:
        if header in response:
            replaced[header] = response[header]
    return replaced
