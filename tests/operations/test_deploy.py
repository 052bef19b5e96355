"""Deploy checks: smoke_test against a real gunicorn, monitor_post_deploy on a fake clock."""

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import httpx
import pytest
from django.core.management import call_command

from billing.models import StripeEvent
from core.metrics import metric_observe, metrics_flush
from core.redis import redis_client
from integrations.models import MLNotification
from operations.deploy import Thresholds, WatchResult, deploy_watch
from operations.rollups import metrics_rollup
from tests.support.clock import FakeClock
from tests.support.processes import free_port, web_server
from tests.support.waiting import wait_until

TOKEN = "smoke-metrics-token"


# -- smoke_test -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live_url(django_db_setup: None) -> Iterator[str]:
    with web_server(free_port(), METRICS_TOKEN=TOKEN) as url:
        # gunicorn accepts connections before its workers have loaded Django: wait for them,
        # so the smoke test's time limits measure the release, not the boot.

        def answers() -> bool:
            try:
                return httpx.get(f"{url}/api/ping", timeout=5, trust_env=False).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(answers, timeout=60)
        yield url


def smoke(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("smoke_test", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_smoke_test_passes_against_a_live_server(db, live_url, settings):
    settings.METRICS_TOKEN = TOKEN
    inbox_before = MLNotification.objects.count(), StripeEvent.objects.count()

    code, output = smoke("--base-url", live_url, "--json")

    report = json.loads(output)
    assert code == 0, output
    assert report["ok"] is True
    assert report["tenant"] == "tenant-a"  # the oldest active store, when none is named
    checks = {check["name"]: check for check in report["checks"]}
    assert set(checks) == {
        "health",
        "login_public",
        "login_tenant",
        "webhook_ml",
        "webhook_stripe",
        "metrics",
    }
    assert checks["health"]["status"] == 200
    assert checks["login_tenant"]["status"] == 200
    assert checks["webhook_ml"]["status"] in (400, 403)
    assert checks["webhook_stripe"]["status"] == 400
    assert checks["webhook_ml"]["ms"] < 2000
    assert checks["metrics"]["status"] == 200
    # The malformed webhooks were refused, not stored.
    assert (MLNotification.objects.count(), StripeEvent.objects.count()) == inbox_before


def test_metrics_closed_to_a_smoke_test_without_the_token_still_passes(db, live_url, settings):
    settings.METRICS_TOKEN = ""

    code, output = smoke("--base-url", live_url, "--tenant", "tenant-b")

    assert code == 0, output
    assert "on, and refuses a request without the token" in output
    assert output.strip().endswith("smoke test passed")


def test_an_unknown_store_fails_the_tenant_page(db, live_url):
    code, output = smoke("--base-url", live_url, "--tenant", "no-such-store")

    assert code == 1
    assert "FAIL login_tenant" in output


def test_nothing_listening_is_a_clear_failure():
    port = free_port()  # bound, then released: nothing listens there now

    code, output = smoke("--base-url", f"http://127.0.0.1:{port}", "--tenant", "tenant-a")

    assert code == 1
    assert f"nothing answers at http://127.0.0.1:{port}" in output
    assert "smoke test FAILED" in output


class _Broken(BaseHTTPRequestHandler):
    def _fail(self) -> None:
        self.send_response(500)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"oops\n")

    do_GET = do_POST = _fail

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_server_answering_5xx_fails_every_check():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        code, output = smoke(
            "--base-url", f"http://127.0.0.1:{server.server_port}", "--tenant", "x", "--json"
        )
    finally:
        server.shutdown()
        server.server_close()

    assert code == 1
    report = json.loads(output)
    assert [check["ok"] for check in report["checks"]] == [False] * 6
    webhook = next(c for c in report["checks"] if c["name"] == "webhook_stripe")
    assert webhook["status"] == 500
    assert webhook["message"] == "expected 400 or 403 for a malformed body"


# -- monitor_post_deploy ----------------------------------------------------------------------

# The deploy began at a fixed minute far from the tests' live traffic.
DEPLOY = datetime(2030, 6, 3, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture(autouse=True)
def _clean_deploy_minutes() -> Iterator[None]:
    def clean() -> None:
        client = redis_client()
        for pattern in ("metrics:*:20300602*", "metrics:*:20300603*"):
            for key in client.scan_iter(pattern):
                client.delete(key)

    clean()
    yield
    clean()


def requests(at: float, count: int, *, ms: float = 40, errors: int = 0, kind: str = "api"):
    for index in range(count):
        status = "5xx" if index < errors else "2xx"
        metric_observe("http_request", {"class": kind, "status": status}, ms, at=at)


def baseline_day() -> None:
    """A day before the deploy, rolled up as beat would: 0.2% errors, api p95 48.75 ms (all in
    the 25-50 ms bucket, the 95th interpolated 95% of the way through it)."""
    at = DEPLOY - 3600
    requests(at, 1000, errors=2)
    requests(at, 300, ms=80, kind="dashboard")
    metric_observe("ml_webhook_ack", {"outcome": "accepted"}, 4, at=at)
    metrics_flush()
    assert metrics_rollup(now=at + 120, minutes=3) > 0


def watch(minutes: float = 3, **thresholds: float) -> tuple[WatchResult, FakeClock]:
    clock = FakeClock(start=DEPLOY)
    result = deploy_watch(
        minutes=minutes,
        interval=30,
        baseline_hours=24,
        thresholds=Thresholds(**thresholds),  # type: ignore[arg-type]
        now=clock.now,
        sleep=clock.sleep,
    )
    return result, clock


def test_a_clean_deploy_exits_zero_after_the_whole_window(db):
    baseline_day()
    requests(DEPLOY + 5, 400, errors=1)
    requests(DEPLOY + 5, 100, ms=90, kind="dashboard")
    metrics_flush()

    result, clock = watch()

    assert result.outcome == "clean"
    assert result.exit_code == 0
    assert clock.slept == [30] * 6  # every 30 s for 3 minutes, on the fake clock
    assert [check.verdict for check in result.checks] == ["ok"] * 6
    first = result.checks[0]
    assert first.current.requests == 500
    assert first.baseline.requests == 1300
    assert first.baseline.p95_ms["api"] == pytest.approx(48.75)


def test_an_error_spike_confirmed_twice_is_a_regression(db):
    baseline_day()
    requests(DEPLOY + 5, 400, errors=40)  # 10% against a 0.2% baseline
    metrics_flush()

    result, clock = watch()

    assert result.outcome == "regression"
    assert result.exit_code == 1
    assert len(result.checks) == 2  # stopped at the confirmation, not after 15 minutes
    assert clock.slept == [30, 30]
    assert "errors 10.00% of 400 (limit 1.00%" in result.checks[-1].line()


def test_a_latency_spike_is_a_regression(db):
    baseline_day()
    requests(DEPLOY + 5, 400, ms=900)
    metrics_flush()

    result, _ = watch()

    assert result.outcome == "regression"
    assert "p95 api 975 ms (limit 500 ms, baseline 48.75 ms)" in result.checks[-1].line()


def test_slow_webhook_acknowledgements_are_a_regression(db):
    baseline_day()
    requests(DEPLOY + 5, 100)
    for _ in range(100):
        metric_observe("stripe_webhook_ack", {"outcome": "stored"}, 2000, at=DEPLOY + 5)
    metrics_flush()

    result, _ = watch()

    assert result.outcome == "regression"
    assert "p95 webhook 2425 ms" in result.checks[-1].line()


def test_one_bad_check_that_recovers_is_not_a_regression(db):
    baseline_day()
    requests(DEPLOY + 5, 100, errors=10)  # the first 30 s: 10% errors...
    requests(DEPLOY + 65, 3000)  # ...diluted by the next minute's clean traffic
    metrics_flush()

    result, _ = watch()

    assert [check.verdict for check in result.checks][:2] == ["bad", "ok"]
    assert result.outcome == "clean"


def test_errors_are_judged_against_a_worse_baseline(db):
    at = DEPLOY - 7200
    requests(at, 1000, errors=30)  # the day before already had 3% errors
    metrics_flush()
    metrics_rollup(now=at + 120, minutes=3)
    requests(DEPLOY + 5, 400, errors=16)  # 4% is within 2 x 3%
    metrics_flush()

    result, _ = watch(minutes=0)

    assert result.outcome == "clean"
    assert "limit 6.00%" in result.checks[0].line()


def test_no_traffic_is_no_data_not_a_pass(db):
    baseline_day()

    result, _ = watch()

    assert result.outcome == "no data"
    assert result.exit_code == 2
    assert {check.verdict for check in result.checks} == {"no data"}


def test_too_few_requests_are_not_judged(db):
    requests(DEPLOY + 5, 10, errors=10)
    metrics_flush()

    result, _ = watch(minutes=0, min_requests=50)

    assert result.outcome == "no data"
    assert len(result.checks) == 1


# Live minutes (the command reads the real clock): a class of its own, removed afterwards.
TEST_CLASS = "deploy-command-test"


@pytest.fixture
def live_minutes() -> Iterator[float]:
    now = time.time()
    yield now
    metrics_flush()
    client = redis_client()
    keys = [
        f"metrics:http_request:{time.strftime('%Y%m%d%H%M', time.gmtime(now + 60 * d))}"
        for d in (-1, 0, 1)
    ] + ["metrics-total:http_request"]
    for key in keys:
        fields = [f.decode() if isinstance(f, bytes) else f for f in client.hkeys(key)]
        mine = [f for f in fields if f.startswith(f"class={TEST_CLASS},")]
        if mine:
            client.hdel(key, *mine)


def test_the_command_exits_one_on_a_regression_in_a_single_check(db, live_minutes):
    now = live_minutes
    requests(now, 200, errors=100, kind=TEST_CLASS)
    metrics_flush()
    since = datetime.fromtimestamp(now - 60, tz=UTC).isoformat()
    out = StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("monitor_post_deploy", "--once", "--since", since, stdout=out)

    assert exited.value.code == 1
    lines = out.getvalue().splitlines()
    assert " bad " in lines[0]
    assert lines[-1].startswith("REGRESSION confirmed")
