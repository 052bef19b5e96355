"""The emulator's WSGI application: routing, auth, faults, idempotency and error rendering.

Order of an API request: count it, outage (503 HTML, like a proxy), latency, route, secret key,
random 429/500, then — under the state lock — idempotent replay or the view. Hosted pages meet
only the outage and latency; admin routes (``/_emulator``) meet no fault at all.
"""

from __future__ import annotations

import base64
import logging
import random

from werkzeug.wrappers import Request, Response

from doubles.harness import DoubleApp
from doubles.stripe import (
    admin_views,
    api_billing,
    api_catalog,
    api_customers,
    api_invoices,
    api_payments,
    api_portal,
    api_sessions,
    pages,
)
from doubles.stripe.errors import ApiFailure, AuthenticationFailed, RouteMissing, StripeError
from doubles.stripe.idempotency import StoredResult, stored_status
from doubles.stripe.params import fingerprint
from doubles.stripe.state import EmulatorState, RequestContext
from doubles.stripe.web import Call, Route, error_response, json_response

logger = logging.getLogger(__name__)

ROUTES: tuple[Route, ...] = (
    *api_catalog.ROUTES,
    *api_customers.ROUTES,
    *api_sessions.ROUTES,
    *api_portal.ROUTES,
    *api_billing.ROUTES,
    *api_invoices.ROUTES,
    *api_payments.ROUTES,
    *pages.ROUTES,
    *admin_views.ROUTES,
)

MISSING_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)


def secret_key(request: Request) -> str:
    """The test secret key from Bearer or Basic auth; anything else is a 401."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            value = ""
    elif scheme.lower() != "bearer":
        value = ""
    if not value:
        raise AuthenticationFailed(MISSING_KEY)
    if not value.startswith(("sk_test_", "rk_test_")):
        raise AuthenticationFailed(f"Invalid API Key provided: {value[:8]}****{value[-4:]}")
    return value


class EmulatorApp(DoubleApp[Route]):
    """A WSGI callable over one ``EmulatorState``."""

    admin_prefix = "/_emulator"

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        super().__init__(ROUTES)
        # Request ids come from their own stream so that reads never shift object ids.
        self._request_ids = random.Random(f"requests:{state.config.seed}")  # noqa: S311

    def count(self, request: Request) -> None:
        self.state.request_count(request.method, request.path)

    def outage_and_latency(self) -> tuple[bool, int]:
        settings = self.state.faults.settings
        return settings.outage, settings.latency_ms

    def route_missing(self, request: Request) -> Response:
        return error_response(RouteMissing(request.method, request.path))

    def dispatch(self, request: Request, route: Route, args: dict[str, str]) -> Response:
        pairs = self._pairs(request)
        call = Call(request=request, state=self.state, args=args, pairs=pairs)
        try:
            if route.kind == "admin":
                secret_key(request)
                return self._response(route, call)
            if route.kind == "page":
                with self.state.lock:
                    return self._response(route, call)
            secret_key(request)
            with self.state.lock:
                failure = self.state.faults.api_failure()
            if failure is not None:
                raise failure
            return self._api(route, call)
        except StripeError as exc:
            return error_response(exc)
        except Exception:
            logger.exception("stripe emulator failed: %s %s", request.method, request.path)
            return error_response(ApiFailure("The Stripe emulator failed; see its log."))

    def _api(self, route: Route, call: Call) -> Response:
        request = call.request
        key = request.headers.get("Idempotency-Key") if request.method == "POST" else None
        version = request.headers.get("Stripe-Version") or self.state.config.api_version
        endpoint = f"{request.method} {request.path}"
        with self.state.lock:
            now = self.state.now()
            if key:
                stored = self.state.idempotency.replay(
                    key, endpoint=endpoint, params=fingerprint(call.pairs), now=now
                )
                if stored is not None:
                    headers = self._headers(stored.request_id, version, key)
                    headers["Idempotent-Replayed"] = "true"
                    return Response(
                        stored.body, stored.status, headers, content_type="application/json"
                    )
            request_id = "req_" + "".join(
                self._request_ids.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP0123456789")
                for _ in range(14)
            )
            self.state.context = RequestContext(
                request_id=request_id, idempotency_key=key, api_version=version
            )
            headers = self._headers(request_id, version, key)
            try:
                response = self._response(route, call)
            except StripeError as exc:
                response = error_response(exc)
            finally:
                self.state.context = RequestContext()
            response.headers.update(headers)
            if key and stored_status(response.status_code):
                self.state.idempotency.store(
                    key,
                    StoredResult(
                        endpoint=endpoint,
                        params=fingerprint(call.pairs),
                        status=response.status_code,
                        body=response.get_data(),
                        request_id=request_id,
                        created=now,
                    ),
                )
            return response

    @staticmethod
    def _headers(request_id: str, version: str, key: str | None) -> dict[str, str]:
        headers = {"Request-Id": request_id, "Stripe-Version": version}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    @staticmethod
    def _response(route: Route, call: Call) -> Response:
        result = route.handler(call)
        return result if isinstance(result, Response) else json_response(result)

    @staticmethod
    def _pairs(request: Request) -> list[tuple[str, str]]:
        if request.method == "POST" or (request.method == "DELETE" and request.form):
            return list(request.form.items(multi=True))
        return list(request.args.items(multi=True))
