"""The sandbox's WSGI application: routing, the fault layer and error rendering.

Order of a non-admin request: count it, outage (503 HTML, like a proxy), latency, route, count
token requests, quota / random 429 / random 500 (API routes only), the view, then
``malformed_json`` for resource answers. Admin routes skip every fault.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from integrations.mercadolivre.sandbox import admin_views, oauth_views, resource_views
from integrations.mercadolivre.sandbox.errors import (
    AuthorizationPageError,
    Forbidden,
    NotFound,
    SandboxError,
)
from integrations.mercadolivre.sandbox.state import SandboxState
from integrations.mercadolivre.sandbox.web import (
    OUTAGE_PAGE,
    Call,
    Route,
    error_response,
    html_response,
)

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
        self._routes = {f"{route.kind}:{route.path}": route for route in ROUTES}
        self._map = Map(
            [
                Rule(route.path, endpoint=key, methods=list(route.methods))
                for key, route in self._routes.items()
            ]
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self.respond(request)
        return response(environ, start_response)

    def respond(self, request: Request) -> Response:
        admin = request.path == "/_sandbox" or request.path.startswith("/_sandbox/")
        if not admin:
            self.state.request_count(request.path)
            settings = self.state.faults.settings
            if settings.outage:
                return html_response(OUTAGE_PAGE, 503)
            if settings.latency_ms:
                time.sleep(settings.latency_ms / 1000)
        try:
            route, args = self._match(request)
        except NotFound as exc:
            return error_response(exc)
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

    def _match(self, request: Request) -> tuple[Route, dict[str, str]]:
        adapter = self._map.bind_to_environ(request.environ)
        try:
            key, args = adapter.match()
        except HTTPException:
            # ML answers an unknown route, or a known one with the wrong method, with a 404.
            raise NotFound(f"Resource {request.path} not found.") from None
        return self._routes[str(key)], {name: str(value) for name, value in args.items()}
