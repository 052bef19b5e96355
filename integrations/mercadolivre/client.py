"""The one Mercado Livre API client every feature uses.

Per call: the circuit breaker may hold it back; the shared budget (per application and per
seller, by priority) may make it wait; the store's token is attached (refreshed if needed);
429, 5xx, timeouts and connection errors are retried with exponential backoff and jitter
(caps 1, 2, 4, 8, 16 s, or ML's ``Retry-After``), but a failure that opens the breaker ends
the call at once; a 401 triggers one refresh and one retry, which does not draw on the budget;
everything else becomes a typed error. Each attempt records a metric (endpoint, status class,
latency, tenant). Use it inside the store's ``tenant_context``.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from core.metrics import metric_count, metric_observe
from integrations.mercadolivre import tokens
from integrations.mercadolivre.accounts import account_for
from integrations.mercadolivre.breaker import Breaker
from integrations.mercadolivre.clock import SYSTEM_CLOCK, Clock
from integrations.mercadolivre.errors import (
    MLBadRequest,
    MLCircuitOpen,
    MLError,
    MLForbidden,
    MLMalformedResponse,
    MLNotFound,
    MLRateLimited,
    MLServerError,
    MLUnauthorized,
    MLUnavailable,
)
from integrations.mercadolivre.forbidden import (
    forbidden_clear,
    forbidden_error,
    forbidden_record,
    owner_mismatch,
)
from integrations.mercadolivre.gate import call_permit
from integrations.mercadolivre.models import MLAccount
from integrations.mercadolivre.priorities import Priority
from integrations.mercadolivre.transport import http_client, ml_error_fields, ml_json_or_none
from tenants.context import current_schema

logger = logging.getLogger(__name__)

BACKOFF_CAPS = (1.0, 2.0, 4.0, 8.0, 16.0)
MAX_RETRY_AFTER = 60.0
_ID_SEGMENT = re.compile(r"/(?:[A-Z]{3})?\d+(?=/|$)")


@dataclass(frozen=True)
class MLResponse:
    status: int
    data: Any
    missing: tuple[str, ...] = ()  # fields ML left out of a 206 Partial Content answer

    @property
    def partial(self) -> bool:
        return self.status == 206


class MLClient:
    """Calls for one store's ML account (or, with ``account=None``, public unauthenticated)."""

    def __init__(
        self,
        *,
        account: MLAccount | None,
        priority: Priority = Priority.MEDIUM,
        clock: Clock = SYSTEM_CLOCK,
        max_wait: float = 30.0,
        retries: int = len(BACKOFF_CAPS),
        rng: random.Random | None = None,
    ) -> None:
        self.account = account
        self.priority = priority
        self.clock = clock
        self.max_wait = max_wait
        self.retries = min(retries, len(BACKOFF_CAPS))
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self.breaker = Breaker("api", clock=clock)
        self._access: str | None = None
        # Once /users/me named the token's user as the account's, later "not owner" 403s of this
        # client are about someone else's resource: no need to ask again.
        self._token_is_the_accounts = False

    @classmethod
    def for_current_store(
        cls, *, priority: Priority, ml_user_id: int | None = None, **options: Any
    ) -> MLClient:
        """The client for account ``ml_user_id`` of the store whose schema is current (None:
        the store's only connected account; ``accounts.account_for``)."""
        return cls(account=account_for(ml_user_id), priority=priority, **options)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> MLResponse:
        return self.request("GET", path, params=params)

    def post(self, path: str, json: Any) -> MLResponse:
        return self.request("POST", path, json=json)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> MLResponse:
        refreshed = False
        retries = 0
        rejected: str | None = None
        while True:
            if rejected is None:
                self._permit()
            else:
                # The retry after a 401 is the same call, not a new one: no second draw from
                # the budget (a storm of 401s would spend it on our own retries).
                self.breaker.before_call()
            token = self._token(rejected=rejected)
            rejected = None
            started = self.clock.now()
            try:
                response = http_client().request(
                    method,
                    f"{settings.ML_API_BASE.rstrip('/')}{path}",
                    params=params,
                    json=json,
                    headers=self._headers(token, headers),
                )
            except httpx.TimeoutException as exc:
                failure: MLError = MLUnavailable(f"Mercado Livre timed out ({exc})", path=path)
                self._record(path, "timeout", started)
            except httpx.TransportError as exc:
                failure = MLUnavailable(
                    f"Mercado Livre could not be reached ({type(exc).__name__})", path=path
                )
                self._record(path, "error", started)
            else:
                status = response.status_code
                self._record(
                    path, f"{status // 100}xx" if status not in (401, 429) else str(status), started
                )
                if status < 300:
                    self.breaker.record_success()
                    if self.account is not None and self.account.last_error:
                        forbidden_clear(account=self.account)
                    return self._parse(response, path)
                if status == 401 and token and not refreshed:
                    # ML answered: it is up (and a probe this call held is over).
                    self.breaker.record_success()
                    refreshed = True
                    rejected = token
                    continue
                failure = self._error(response, path)
                if not isinstance(failure, MLServerError | MLRateLimited | MLUnavailable):
                    if not isinstance(failure, MLRateLimited):
                        self.breaker.record_success()  # ML answered sensibly: it is up
                    if isinstance(failure, MLForbidden):
                        failure = self._owner_checked(failure)
                        forbidden_record(account=self.account, error=failure)
                    raise failure
            if not isinstance(failure, MLRateLimited) and self.breaker.record_failure():
                # This failure opened the breaker: waiting out a backoff would only meet it.
                raise MLCircuitOpen(
                    f"Mercado Livre calls are paused after repeated failures ({failure.message})",
                    retry_after=float(settings.ML_BREAKER_RESET_SECONDS),
                ) from failure
            if retries >= self.retries:
                raise failure
            self.clock.sleep(self._backoff(retries, failure))
            retries += 1

    # -- steps -------------------------------------------------------------------------------

    def _owner_checked(self, failure: MLForbidden) -> MLForbidden:
        """A "not the owner" 403: someone else's resource, or a token of someone else?"""
        if failure.cause != "not_owner" or self.account is None:
            return failure
        account_user = self.account.ml_user_id
        if failure.path == "/users/me":  # the token's own user: refused, so not ours to use
            return owner_mismatch(error=failure, account_user_id=account_user, token_user_id=None)
        if self._token_is_the_accounts:
            return failure
        try:
            me = self.get("/users/me").data
        except MLForbidden:
            raise  # the token is refused everywhere; that call recorded why
        except MLError:
            return failure  # cannot tell now: the resource is kept either way
        token_user = me.get("id") if isinstance(me, dict) else None
        self._token_is_the_accounts = str(token_user) == str(account_user)
        return owner_mismatch(error=failure, account_user_id=account_user, token_user_id=token_user)

    def _permit(self) -> None:
        """Wait for the breaker and the budget to let this call out, or raise."""
        waited = 0.0
        seller = self.account.ml_user_id if self.account else None
        while True:
            permit = call_permit(
                breaker_prefix=self.breaker.prefix,
                seller_id=seller,
                priority=self.priority,
                clock=self.clock,
            )
            self.breaker.check(permit.verdict, permit.wait_seconds, permit.trouble)
            if permit.verdict == "go":
                return
            if waited + permit.wait_seconds > self.max_wait:
                raise MLRateLimited(
                    f"Peepers' own Mercado Livre budget is spent for {self.priority.name} calls",
                    retry_after=permit.wait_seconds,
                )
            self.clock.sleep(permit.wait_seconds)
            waited += permit.wait_seconds

    def _token(self, *, rejected: str | None) -> str | None:
        if self.account is None:
            return None
        if rejected is not None:
            access = tokens.token_refresh(
                account_id=self.account.pk, rejected_token=rejected, clock=self.clock
            )
        else:
            access = tokens.access_token_for(account=self.account, clock=self.clock)
        if access != self._access:
            # Refreshed, here or by another process: reload the stored expiry with it.
            self.account.refresh_from_db()
            self._access = access
        return access

    def _headers(self, token: str | None, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        headers.update(extra or {})
        return headers

    def _parse(self, response: httpx.Response, path: str) -> MLResponse:
        try:
            data = response.json()
        except (ValueError, RecursionError) as exc:
            raise MLMalformedResponse(
                f"Mercado Livre answered {response.status_code} without valid JSON",
                status=response.status_code,
                path=path,
            ) from exc
        missing = tuple(
            part.strip()
            for part in response.headers.get("X-Content-Missing", "").split(",")
            if part.strip()
        )
        return MLResponse(status=response.status_code, data=data, missing=missing)

    def _error(self, response: httpx.Response, path: str) -> MLError:
        status = response.status_code
        error, message = ml_error_fields(response)
        if not error and "json" not in response.headers.get("content-type", ""):
            # An HTML page from a proxy or load balancer, not ML's API.
            return MLUnavailable(
                f"Mercado Livre's edge answered {status} with a non-JSON page",
                status=status,
                path=path,
            )
        text = f"{status} {error or 'error'}: {message or response.reason_phrase}"
        if status == 429:
            return MLRateLimited(
                text, status=status, error=error, path=path, retry_after=_retry_after(response)
            )
        if status >= 500:
            return MLServerError(text, status=status, error=error, path=path)
        if status == 403:
            return forbidden_error(body=ml_json_or_none(response), path=path)
        kind: type[MLError] = {401: MLUnauthorized, 404: MLNotFound}.get(status, MLBadRequest)
        return kind(text, status=status, error=error, path=path)

    def _backoff(self, retries: int, failure: MLError) -> float:
        cap = BACKOFF_CAPS[retries]
        if isinstance(failure, MLRateLimited) and failure.retry_after is not None:
            return min(failure.retry_after, MAX_RETRY_AFTER)
        return self.rng.uniform(cap / 2, cap)

    def _record(self, path: str, status_class: str, started: float) -> None:
        endpoint = _ID_SEGMENT.sub("/{id}", path.split("?")[0])
        elapsed_ms = (self.clock.now() - started) * 1000.0
        metric_count(
            "ml_api_calls",
            {"status": status_class, "tenant": current_schema(), "endpoint": endpoint},
        )
        metric_observe("ml_api_latency", {"endpoint": endpoint}, elapsed_ms)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
