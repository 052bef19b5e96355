"""``GET /api/health`` and ``GET /api/ping``, answered for any Host (``ProbeMiddleware``).

Health: 200 ``{"status": "ok", "checks": {...}}`` when every check passes; 503 with
``"failing": [...]`` naming the checks that did not (operations/health.py runs them).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from operations.health import run_checks
from tenants.context import use_public_schema


@never_cache
@require_GET
def ping(request: HttpRequest) -> JsonResponse:
    """``GET /api/ping``: the process answers (liveness). Touches no dependency, unlike health."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    failing = [name for name, result in checks.items() if not result["ok"]]
    body: dict[str, object] = {"status": "fail" if failing else "ok", "checks": checks}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/api/health": health,
    "/api/ping": ping,
}


class ProbeMiddleware:
    """Answers ``/api/health`` and ``/api/ping`` before host validation, tenant routing and the
    HTTPS redirect.

    Kubernetes probes and cloud load balancers connect to the server's own address and send it
    as the Host, which ``ALLOWED_HOSTS`` rightly refuses; for these two paths the answer depends
    on no host, so any Host gets it. Every other path still goes through host validation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        use_public_schema()
        return probe(request)
