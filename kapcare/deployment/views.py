from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from kapcare.deployment import health


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For a load balancer or monitor: 200 when every check passes, else 503; no sign-in,
    no patient data (kapcare/deployment/health.py)."""
    results = health.run_checks()
    healthy = all(result == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **results}, status=200 if healthy else 503
    )
