"""The bare view the bench compares every page with.

It does nothing a page does (no query of its own, no template), so its time is what the
middleware, the session and the sign-in cost on every request: a page's throughput as a
share of the bare view's is the page's own cost, whatever the machine. It touches no
patient record, so it asks the policy nothing; it still needs a signed-in user who passed
the second factor, as every page does (the middleware runs before it).
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
