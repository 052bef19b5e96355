"""The sandbox's WSGI application: routing, the fault layer and error rendering.

Order of a non-admin request (the harness's part first): count it, outage (503 HTML, like a
proxy), latency, route; then count
token requests, quota / random 429 / random 500 (API routes only), the view (which holds a
refresh's answer under ``hold_token_answers``), then ``malformed_json`` for resource answers.
Admin routes skip every fault.
"""

from __future__ import annotations

import logging

from werkzeug.wrappers import Request, Response

from doubles.harness import DoubleApp
from doubles.mercadolivre import admin_views, oauth_views, resource_views
from doubles.mercadolivre.errors import (
    AuthorizationPageError,
    Forbidden,
    NotFound,
    SandboxError,
)
from doubles.mercadolivre.state import SandboxState
from doubles.mercadolivre.web import Call, Route, error_response

logger = logging.getLogger(__name__)

ROUTES: tuple[Route, ...] = (
    *oauth_views.ROUTES,
    *resource_views.ROUTES,
    *admin_views.ROUTES,
)


class SandboxApp(DoubleApp[Route]):
    """A WSGI callable over one ``SandboxState``."""

    admin_prefix = "/_sandbox"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        super().__init__(ROUTES)

    def count(self, request: Request) -> None:
        self.state.request_count(request.path)

    def outage_and_latency(self) -> tuple[bool, int]:
        settings = self.state.faults.settings
        return settings.outage, settings.latency_ms

    def route_missing(self, request: Request) -> Response:
        # ML answers an unknown route, or a known one with the wrong method, with a 404.
        return error_response(NotFound(f"Resource {request.path} not found."))

    def dispatch(self, request: Request, route: Route, args: dict[str, str]) -> Response:
        call = Call(request=request, state=self.state, args=args)
        try:
            if route.kind == "admin":
                admin_views.admin_authorized(call)
            if route.kind == "oauth":
                self.state.token_request_count(oauth_views.token_grant_type(call))
            if route.kind in ("oauth", "resource"):
                failure = self.state.faults.api_failure()
                if failure is not None:
                    raise failure
            if route.kind == "resource":
                self._forbidden_fault(call)
            response = route.handler(call)
        except AuthorizationPageError as exc:
            return oauth_views.authorization_error_page(exc)
        except SandboxError as exc:
            variant = self.state.faults.settings.token_401_variant
            return error_response(exc, shape_401=variant)
        except Exception:
            logger.exception("sandbox view failed: %s %s", request.method, request.path)
            return error_response(SandboxError(500, "internal_error", "sandbox bug; see its log"))
        if route.kind == "resource" and self.state.faults.settings.malformed_json:
            data = response.get_data()
            if response.status_code == 200 and data:
                response.set_data(data[: len(data) // 2])
        return response

    def _forbidden_fault(self, call: Call) -> None:
        """The injected 403 of the configured cause; ML checks the token first (401)."""
        settings = self.state.faults.settings
        if settings.forbidden is None:
            return
        if not call.request.path.startswith(settings.forbidden_path_prefix):
            return
        call.access()
        raise Forbidden(settings.forbidden)
