"""Metrics from the request path, rolled up per minute into PostgreSQL, read as the KPI table."""

import time
from datetime import UTC, date, datetime

import pytest
from django.test import Client

from core.metrics import metric_count, metric_observe, metrics_flush
from core.redis import redis_client
from operations.kpis import Kpi, histogram_quantile, kpi_table
from operations.models import MetricMinute
from operations.rollups import metrics_rollup
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db

# A fixed past minute, so rows from other tests' live traffic never mix in.
BASE = datetime(2026, 11, 2, 10, 0, tzinfo=UTC).timestamp()


@pytest.fixture(autouse=True)
def _clean_metrics():
    client = redis_client()
    for key in client.scan_iter("metrics:*:2026110209*"):
        client.delete(key)
    for key in client.scan_iter("metrics:*:2026110210*"):
        client.delete(key)


def seed(at: float) -> None:
    for i in range(100):
        status = "5xx" if i < 2 else "2xx"
        metric_observe(
            "http_request", {"class": "api", "status": status}, 40 if i < 96 else 900, at=at
        )
    for _ in range(99):
        metric_count("ml_token_refresh", {"outcome": "success"}, at=at)
    metric_count("ml_token_refresh", {"outcome": "failure"}, at=at)
    metric_count("ml_oauth_flow", {"outcome": "started"}, 4, at=at)
    metric_count("ml_oauth_flow", {"outcome": "connected"}, 4, at=at)
    metrics_flush()


def test_rollups_copy_finished_minutes_once(db):
    seed(BASE + 30)

    first = metrics_rollup(now=BASE + 120, minutes=3)
    again = metrics_rollup(now=BASE + 120, minutes=3)

    assert first == again > 0
    assert MetricMinute.objects.filter(name="http_request").count() == len(
        redis_client().hgetall(
            f"metrics:http_request:{time.strftime('%Y%m%d%H%M', time.gmtime(BASE))}"
        )
    )


def test_the_kpi_table_reads_the_rollups():
    seed(BASE + 30)
    metrics_rollup(now=BASE + 120, minutes=3)
    now = datetime.fromtimestamp(BASE + 120, tz=UTC)

    kpis = {k.name: k for k in kpi_table(minutes=60, now=now)}

    # 96 of 100 requests in the 25-50 ms bucket: the 95th is 95/96 of the way through it.
    assert kpis["API response time (p95)"].value == pytest.approx(25 + 25 * 95 / 96)
    assert kpis["API response time (p95)"].bucket == (25, 50)
    assert kpis["API response time (p95)"].met is True
    assert kpis["Error rate"].value == pytest.approx(2.0)
    assert kpis["Error rate"].met is False
    assert kpis["Token refresh success"].value == pytest.approx(99.0)
    assert kpis["Token refresh success"].met is False  # the target is > 99%
    assert kpis["OAuth flow success"].value is None  # 4 flows say nothing about > 99%
    assert kpis["OAuth flow success"].met is None
    assert kpis["OAuth flow success"].shown == "not enough data (4 of 20 samples)"
    assert kpis["Webhook processing (p95)"].value is None  # no data is not a number
    assert kpis["Webhook processing (p95)"].shown == "no data"


def test_requests_are_measured_by_endpoint_class(tenant_a):
    store_client(tenant_a, login=True).get("/")
    metrics_flush()

    now = time.time()
    fields: dict[str, float] = {}
    for offset in range(2):
        key = f"metrics:http_request:{time.strftime('%Y%m%d%H%M', time.gmtime(now - 60 * offset))}"
        for field, value in redis_client().hgetall(key).items():
            fields[field.decode()] = fields.get(field.decode(), 0) + float(value)
    assert fields.get("class=dashboard,status=2xx|count", 0) >= 1


def test_staff_see_the_kpi_dashboard(staff_client):
    page = staff_client.get("/admin/operations/metricminute/?minutes=1440")

    assert page.status_code == 200
    assert "API response time (p95)" in page.text
    assert "&lt; 500 ms" in page.text or "< 500 ms" in page.text


def test_prometheus_reads_the_running_totals_with_a_token(settings):
    settings.METRICS_TOKEN = "scrape-me"
    metric_count("ml_token_refresh", {"outcome": "success"}, 3)
    metric_observe("http_request", {"class": "api", "status": "2xx"}, 7)
    client = Client(HTTP_HOST="localhost")

    refused = client.get("/metrics")
    page = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})

    assert refused.status_code == 401
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/plain; version=0.0.4")
    text = page.content.decode()
    assert "# TYPE peepers_ml_token_refresh_total counter" in text
    assert 'peepers_ml_token_refresh_total{outcome="success"}' in text
    assert "# TYPE peepers_http_request_ms histogram" in text
    assert 'peepers_http_request_ms_bucket{class="api",status="2xx",le="10"}' in text
    assert 'peepers_http_request_ms_bucket{class="api",status="2xx",le="+Inf"}' in text


def test_metrics_are_off_without_a_token(settings):
    settings.METRICS_TOKEN = ""

    assert Client(HTTP_HOST="localhost").get("/metrics").status_code == 404


def test_uptime_and_rate_limit_usage_come_from_probes_and_ml_calls(settings):
    settings.ML_RATE_LIMIT_PER_MINUTE = 100
    at = BASE + 30
    metric_count("health_probe", {"check": "all", "outcome": "up"}, 999, at=at)
    metric_count("health_probe", {"check": "all", "outcome": "down"}, 1, at=at)
    metric_count("health_probe", {"check": "database", "outcome": "down"}, 1, at=at)
    metric_count(
        "ml_api_calls", {"status": "2xx", "tenant": "tenant-a", "endpoint": "/x"}, 900, at=at
    )
    metrics_flush()
    metrics_rollup(now=BASE + 120, minutes=3)
    now = datetime.fromtimestamp(BASE + 120, tz=UTC)

    kpis = {k.name: k for k in kpi_table(minutes=15, now=now)}

    assert kpis["Uptime (health probes)"].value == pytest.approx(99.9)
    assert kpis["Uptime (health probes)"].met is False  # the target is > 99.9%
    assert kpis["Rate-limit usage"].value == pytest.approx(60.0)  # 900 calls / 15 min / 100
    assert kpis["Rate-limit usage"].met is True


def test_the_dashboard_shows_business_numbers_and_firing_alerts(staff_client):
    from operations.alerts.models import AlertState
    from operations.maintenance.models import DailySnapshot

    now = datetime.now(tz=UTC)
    DailySnapshot.objects.create(
        day=date(2026, 10, 15),
        taken_at=now,
        tenants_total=10,
        tenants_by_status={"active": 8},
        mrr_cents=80_000,
        arr_cents=960_000,
        ml_accounts_by_status={"active": 8},
    )
    DailySnapshot.objects.create(
        day=date(2026, 11, 10),
        taken_at=now,
        tenants_total=12,
        tenants_by_status={"active": 10, "suspended": 2},
        mrr_cents=123_456,
        arr_cents=1_481_472,
        ml_api_calls=500,
        per_tenant={"tenant-a": {"ml_api_calls": 400}, "tenant-b": {"ml_api_calls": 100}},
        ml_accounts_by_status={"active": 9, "needs_reconnection": 2, "paused": 1},
        stores_ml_connected=9,
        stores_several_ml_accounts=2,
    )
    AlertState.objects.create(
        rule="ml_api_down", status="firing", since=now, evaluated_at=now, detail="60 of 100"
    )

    page = staff_client.get(
        "/admin/operations/metricminute/", headers={"Accept-Language": "en"}
    ).text

    assert "Uptime (health probes)" in page
    assert "Rate-limit usage" in page
    assert "ml_api_down" in page
    assert "R$ 1.234,56" in page  # MRR in BRL
    assert "10 of 12" in page
    assert "25.0% since 2026-10-15" in page  # active stores 8 -> 10
    assert "tenant-a 400" in page
    business = page[page.index('id="stores-ml-connected"') :]
    assert business.startswith('id="stores-ml-connected">9 (2 with more than one)')
    accounts = page[page.index('id="ml-accounts"') :]
    assert accounts.startswith(
        'id="ml-accounts">12: 9 active, 2 needs reconnection, 1 paused</td>'
        "<td>50.0% since 2026-10-15</td>"
    )


def test_the_dashboard_says_when_no_snapshot_exists(staff_client):
    page = staff_client.get("/admin/operations/metricminute/").text

    assert "No daily snapshot yet" in page


def _api_requests(at: float, *latencies_ms: tuple[int, float]) -> list[Kpi]:
    """``count`` API requests of each latency, rolled up, and the KPI table of that hour."""
    for count, milliseconds in latencies_ms:
        for _ in range(count):
            metric_observe("http_request", {"class": "api", "status": "2xx"}, milliseconds, at=at)
    metrics_flush()
    metrics_rollup(now=at + 90, minutes=3)
    return kpi_table(minutes=60, now=datetime.fromtimestamp(at + 90, tz=UTC))


def _api_p95(table: list[Kpi]) -> Kpi:
    return next(k for k in table if k.name == "API response time (p95)")


def test_a_p95_inside_the_250_to_500_bucket_is_estimated_not_read_as_500():
    kpi = _api_p95(_api_requests(BASE + 30, (90, 40), (10, 300)))

    # rank 95: 5 of the 10 samples in 250-500 ms, half-way through the bucket.
    assert kpi.value == pytest.approx(375.0)
    assert kpi.met is True
    assert kpi.shown == "≈ 375 ms (in the 250-500 ms bucket)"


def test_a_p95_above_the_last_bucket_is_not_met_and_says_so():
    kpi = _api_p95(_api_requests(BASE + 30, (10, 40), (90, 20_000)))

    assert kpi.value == float("inf")
    assert kpi.met is False
    assert kpi.shown == "> 10000 ms (above the last bucket)"


def test_a_p95_of_too_few_requests_has_no_verdict():
    kpi = _api_p95(_api_requests(BASE + 30, (19, 900)))

    assert kpi.value is None
    assert kpi.met is None
    assert kpi.samples == 19
    assert kpi.shown == "not enough data (19 of 20 samples)"


def test_the_quantile_interpolates_like_prometheus_histogram_quantile():
    fields = {"a|count": 10.0, "a|le_5": 2.0, "a|le_10": 8.0}

    median = histogram_quantile(0.5, fields)

    assert median is not None
    # rank 5: 3 of the 8 samples in 5-10 ms.
    assert median.value == pytest.approx(5 + 5 * 3 / 8)
    assert (median.lower, median.upper, median.samples) == (5, 10, 10)
    assert histogram_quantile(0.5, {}) is None
    with pytest.raises(ValueError, match="between 0 and 1"):
        histogram_quantile(1.5, fields)


def test_the_page_shows_the_estimate_and_the_bucket(staff_client):
    _api_requests(time.time() - 120, (90, 40), (10, 300))

    page = staff_client.get("/admin/operations/metricminute/?minutes=60").text

    assert "≈ 375 ms (in the 250-500 ms bucket)" in page
