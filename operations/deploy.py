"""The runbook's deployment checks: a smoke test of a running server, and the post-deploy watch.

``smoke_test_run`` sends real HTTP requests to a release and says which contract it breaks;
``deploy_watch`` compares the error rate and p95 since the deploy began with the day before it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from core.metrics import metric_read
from operations.kpis import histogram_p95, metric_fields

# -- smoke test -------------------------------------------------------------------------------

PAGE_TIMEOUT_SECONDS = 10.0  # health runs its checks with a 3 s limit; pages render templates
WEBHOOK_TIMEOUT_SECONDS = 2.0  # ML drops a notification whose acknowledgement takes longer


@dataclass(frozen=True)
class SmokeCheck:
    name: str
    ok: bool
    status: int | None
    ms: float
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ok": self.ok,
            "status": self.status,
            "ms": self.ms,
            "message": self.message,
        }


class _Unreachable(Exception):
    """Nothing answered: refused (``down``), timed out, or the connection broke."""

    def __init__(self, message: str, *, down: bool = False) -> None:
        super().__init__(message)
        self.down = down


@dataclass(frozen=True)
class _Target:
    client: httpx.Client
    base_url: str
    public_host: str
    tenant_host: str

    def request(
        self,
        method: str,
        path: str,
        *,
        host: str,
        timeout: float,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[httpx.Response, float]:
        started = time.perf_counter()
        try:
            response = self.client.request(
                method,
                path,
                content=content,
                headers={"Host": host, **(headers or {})},
                timeout=timeout,
            )
        except httpx.ConnectError as exc:
            raise _Unreachable(f"nothing answers at {self.base_url} ({exc})", down=True) from exc
        except httpx.TimeoutException as exc:
            raise _Unreachable(f"no answer within {timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise _Unreachable(f"{type(exc).__name__}: {exc}") from exc
        return response, round((time.perf_counter() - started) * 1000, 1)


def _hosts(base_url: str, base_domain: str, tenant_slug: str) -> tuple[str, str]:
    port = urlsplit(base_url).port
    suffix = f":{port}" if port else ""
    return f"{base_domain}{suffix}", f"{tenant_slug}.{base_domain}{suffix}"


def _check_health(target: _Target) -> tuple[bool, int, float, str]:
    response, ms = target.request(
        "GET", "/api/health", host=target.public_host, timeout=PAGE_TIMEOUT_SECONDS
    )
    if response.is_redirect:
        location = response.headers.get("location", "")
        return False, response.status_code, ms, f"redirected to {location} (SECURE_SSL_REDIRECT?)"
    try:
        body = response.json()
    except ValueError:
        return False, response.status_code, ms, "the answer is not JSON"
    if response.status_code == 200 and body.get("status") == "ok":
        return True, 200, ms, "status ok: " + ", ".join(sorted(body.get("checks", {})))
    failing = body.get("failing") or []
    return False, response.status_code, ms, f"status {body.get('status')!r}, failing {failing}"


def _check_form_page(target: _Target, path: str, host: str) -> tuple[bool, int, float, str]:
    response, ms = target.request("GET", path, host=host, timeout=PAGE_TIMEOUT_SECONDS)
    if response.status_code != 200:
        where = response.headers.get("location", "")
        return False, response.status_code, ms, f"expected 200 {where}".strip()
    if "<form" not in response.text or "csrfmiddlewaretoken" not in response.text:
        return False, 200, ms, "rendered without a login form"
    return True, 200, ms, f"{host}{path} renders its form"


def _check_rejects(
    target: _Target, path: str, body: bytes, headers: dict[str, str]
) -> tuple[bool, int, float, str]:
    """The endpoint answers a malformed request fast with a client error, and stores nothing."""
    response, ms = target.request(
        "POST",
        path,
        host=target.public_host,
        timeout=WEBHOOK_TIMEOUT_SECONDS,
        content=body,
        headers={"Content-Type": "application/json", **headers},
    )
    status = response.status_code
    if status in (400, 403):
        return True, status, ms, f"rejected a malformed body ({response.text[:80].strip()})"
    if status < 300:
        return False, status, ms, "accepted a malformed body"
    return False, status, ms, "expected 400 or 403 for a malformed body"


def _check_metrics(target: _Target, token: str) -> tuple[bool, int, float, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response, ms = target.request(
        "GET", "/metrics", host=target.public_host, timeout=WEBHOOK_TIMEOUT_SECONDS, headers=headers
    )
    status = response.status_code
    if token:
        ok = status == 200 and response.headers.get("content-type", "").startswith("text/plain")
        return ok, status, ms, "Prometheus text with METRICS_TOKEN" if ok else "expected 200"
    if status == 404:
        return True, status, ms, "off (no METRICS_TOKEN on the server)"
    if status == 401:
        return True, status, ms, "on, and refuses a request without the token"
    return False, status, ms, "expected 404 or 401 without a token"


def smoke_test_run(
    *,
    base_url: str,
    tenant_slug: str,
    base_domain: str | None = None,
    metrics_token: str = "",
) -> list[SmokeCheck]:
    """Check a running server's contracts over HTTP; stop at the first unreachable answer."""
    base_url = base_url.rstrip("/")
    public_host, tenant_host = _hosts(
        base_url, base_domain or settings.PEEPERS_BASE_DOMAIN, tenant_slug
    )
    bad_signature = {"Stripe-Signature": "t=1,v1=" + "0" * 64}
    checks: list[tuple[str, Callable[[_Target], tuple[bool, int, float, str]]]] = [
        ("health", _check_health),
        ("login_public", lambda t: _check_form_page(t, "/admin/login/", t.public_host)),
        ("login_tenant", lambda t: _check_form_page(t, "/login/", t.tenant_host)),
        ("webhook_ml", lambda t: _check_rejects(t, "/api/webhook/mercado-livre", b"{", {})),
        (
            "webhook_stripe",
            lambda t: _check_rejects(t, "/api/webhook/stripe", b"{}", bad_signature),
        ),
        ("metrics", lambda t: _check_metrics(t, metrics_token)),
    ]
    results: list[SmokeCheck] = []
    # Straight to the server: an operator's HTTP proxy variables are not for this.
    with httpx.Client(base_url=base_url, follow_redirects=False, trust_env=False) as client:
        target = _Target(client, base_url, public_host, tenant_host)
        for name, check in checks:
            started = time.perf_counter()
            try:
                ok, status, ms, message = check(target)
            except _Unreachable as exc:
                ms = round((time.perf_counter() - started) * 1000, 1)
                results.append(SmokeCheck(name, False, None, ms, str(exc)))
                if exc.down:
                    break  # every other check would say the same
                continue
            results.append(SmokeCheck(name, ok, status, ms, message))
    return results


# -- post-deploy watch ------------------------------------------------------------------------

WATCHED_CLASSES = ("api", "dashboard", "webhook")
# The webhooks run on the lean stack, outside the request middleware: their own latencies.
WEBHOOK_LATENCY_METRICS = ("ml_webhook_ack", "stripe_webhook_ack")


@dataclass(frozen=True)
class Thresholds:
    min_requests: int = 50
    error_rate_floor: float = 1.0  # percent
    error_rate_factor: float = 2.0
    p95_floor_ms: float = 500.0
    p95_factor: float = 1.5


@dataclass(frozen=True)
class Traffic:
    """One window's numbers: requests and 5xx (admin excluded), and p95 per endpoint class."""

    requests: int
    errors: int
    samples: dict[str, int]
    p95_ms: dict[str, float | None]

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests * 100 if self.requests else None


@dataclass(frozen=True)
class DeployCheck:
    at: float
    since: float
    current: Traffic
    baseline: Traffic
    verdict: Literal["ok", "bad", "no data"]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        elapsed = int(self.at - self.since)
        stamp = datetime.fromtimestamp(self.at, tz=UTC).strftime("%H:%M:%S")
        head = f"{stamp} +{elapsed // 60:02d}:{elapsed % 60:02d} {self.verdict:<8}"
        return head + " " + "; ".join(self.problems + self.notes)


@dataclass(frozen=True)
class WatchResult:
    checks: list[DeployCheck]
    outcome: Literal["clean", "regression", "no data"]

    @property
    def exit_code(self) -> int:
        return {"clean": 0, "regression": 1, "no data": 2}[self.outcome]


def _merge(*parts: dict[str, float]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for part in parts:
        for key, value in part.items():
            merged[key] = merged.get(key, 0.0) + value
    return merged


def _samples(fields: dict[str, float]) -> int:
    return int(sum(v for k, v in fields.items() if k.endswith("|count")))


def traffic_from(http: dict[str, float], webhook_acks: dict[str, float]) -> Traffic:
    """``http_request`` fields and the webhooks' acknowledgement fields, as one window."""
    http = {k: v for k, v in http.items() if "class=admin" not in k.split("|")[0]}
    by_class = {
        kind: {k: v for k, v in http.items() if f"class={kind}" in k.split("|")[0]}
        for kind in WATCHED_CLASSES
    }
    by_class["webhook"] = _merge(by_class["webhook"], webhook_acks)
    return Traffic(
        requests=_samples(http),
        errors=_samples({k: v for k, v in http.items() if "status=5xx" in k.split("|")[0]}),
        samples={kind: _samples(fields) for kind, fields in by_class.items()},
        p95_ms={kind: histogram_p95(fields) for kind, fields in by_class.items()},
    )


def _minute(at: float) -> float:
    return at - at % 60


def traffic_baseline(*, before: float, hours: float) -> Traffic:
    """The rollups (``MetricMinute``) of the ``hours`` before the deploy's minute."""
    end = datetime.fromtimestamp(_minute(before), tz=UTC)
    start = end - timedelta(hours=hours)
    acks = [metric_fields(name, start, end) for name in WEBHOOK_LATENCY_METRICS]
    return traffic_from(metric_fields("http_request", start, end), _merge(*acks))


def traffic_since(*, since: float, now: float) -> Traffic:
    """The live Redis minutes from the deploy's minute to ``now`` (the current one included)."""
    minutes = int((_minute(now) - _minute(since)) // 60) + 1
    acks = [metric_read(name, minutes=minutes, now=now) for name in WEBHOOK_LATENCY_METRICS]
    return traffic_from(metric_read("http_request", minutes=minutes, now=now), _merge(*acks))


def _fmt_ms(value: float | None) -> str:
    return "no data" if value is None else f"{value:g} ms"


def deploy_check(
    *, since: float, now: float, baseline: Traffic, thresholds: Thresholds
) -> DeployCheck:
    """One comparison of the traffic since the deploy with the baseline."""
    current = traffic_since(since=since, now=now)
    problems: list[str] = []
    notes: list[str] = []
    judged = False
    rate = current.error_rate
    if current.requests >= thresholds.min_requests and rate is not None:
        judged = True
        base_rate = baseline.error_rate
        limit = max(thresholds.error_rate_floor, thresholds.error_rate_factor * (base_rate or 0.0))
        text = (
            f"errors {rate:.2f}% of {current.requests} (limit {limit:.2f}%, "
            f"baseline {'no data' if base_rate is None else f'{base_rate:.2f}%'})"
        )
        (problems if rate > limit else notes).append(text)
    else:
        notes.append(f"errors: {current.requests} requests, fewer than {thresholds.min_requests}")
    for kind in WATCHED_CLASSES:
        p95, count = current.p95_ms[kind], current.samples[kind]
        if p95 is None or count < thresholds.min_requests:
            notes.append(f"p95 {kind}: {count} samples")
            continue
        judged = True
        base = baseline.p95_ms[kind]
        limit = max(thresholds.p95_floor_ms, thresholds.p95_factor * (base or 0.0))
        text = f"p95 {kind} {_fmt_ms(p95)} (limit {limit:g} ms, baseline {_fmt_ms(base)})"
        (problems if p95 > limit else notes).append(text)
    verdict: Literal["ok", "bad", "no data"] = "bad" if problems else "ok" if judged else "no data"
    return DeployCheck(now, since, current, baseline, verdict, problems, notes)


def deploy_watch(
    *,
    minutes: float,
    interval: float,
    baseline_hours: float,
    thresholds: Thresholds,
    since: float | None = None,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    report: Callable[[DeployCheck], None] | None = None,
) -> WatchResult:
    """Check every ``interval`` seconds for ``minutes``; stop at a confirmed regression.

    A regression is confirmed by two bad checks in a row (one more check runs past the window
    when the last one is bad). A single check (``minutes`` 0) stands on its own.
    """
    started = now()
    since = started if since is None else since
    baseline = traffic_baseline(before=since, hours=baseline_hours)
    deadline = started + minutes * 60
    needed = 1 if minutes <= 0 else 2
    checks: list[DeployCheck] = []
    streak = 0
    while True:
        if minutes > 0:
            sleep(max(0.0, min(interval, deadline - now())) if streak == 0 else interval)
        check = deploy_check(since=since, now=now(), baseline=baseline, thresholds=thresholds)
        checks.append(check)
        if report is not None:
            report(check)
        streak = streak + 1 if check.verdict == "bad" else 0
        if streak >= needed:
            return WatchResult(checks, "regression")
        if now() >= deadline and streak == 0:
            break
    observed = any(check.verdict != "no data" for check in checks)
    return WatchResult(checks, "clean" if observed else "no data")
