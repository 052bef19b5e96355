"""The sandbox's WSGI application: routing, the fault layer and error rendering.

Order of a non-admin request: count it, outage (503 HTML, like a proxy), latency, route, count
token requests, quota / random 429 / random 500 (API routes only), the view, then
``malformed_json`` for resource answers. Admin routes skip every fault.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from doubles.harness import RouteTable, is_admin_path, outage_or_latency
from doubles.mercadolivre import admin_views, oauth_views, resource_views
from doubles.mercadolivre.errors import (
    AuthorizationPageError,
    Forbidden,
    NotFound,
    SandboxError,
)
from doubles.mercadolivre.state import SandboxState
from doubles.mercadolivre.web import Call, Route, error_response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

ROUTES: tuple[Route, ...] = (
    *oauth_views.ROUTES,
    *resource_views.ROUTES,
    *admin_views.ROUTES,
)


class SandboxApp:
    """A WSGI callable over one ``SandboxState``."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._routes = RouteTable(ROUTES)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self.respond(request)
        return response(environ, start_response)

    def respond(self, request: Request) -> Response:
        if not is_admin_path(request.path, "/_sandbox"):
            self.state.request_count(request.path)
            settings = self.state.faults.settings
            refused = outage_or_latency(outage=settings.outage, latency_ms=settings.latency_ms)
            if refused is not None:
                return refused
        matched = self._routes.match(request)
        if matched is None:
            # ML answers an unknown route, or a known one with the wrong method, with a 404.
            return error_response(NotFound(f"Resource {request.path} not found."))
        route, args = matched
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
