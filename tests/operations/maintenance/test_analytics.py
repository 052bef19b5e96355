"""process_analytics: one snapshot per day, re-runnable, with MRR from the subscription mirror."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from billing.models import Plan, SubscriptionMirror, SubscriptionStatus
from integrations.mercadolivre.models import MLAccountStatus
from operations.maintenance.analytics import analytics_process, business_snapshot
from operations.maintenance.models import DailySnapshot
from operations.models import MetricMinute
from tenants.models import Tenant
from tests.support.ml import account_add

DAY = date(2026, 3, 9)
NOW = datetime(2026, 3, 10, 0, 20, tzinfo=UTC)


def _subscribe(tenant: Tenant, plan_code: str, status: str) -> None:
    SubscriptionMirror.objects.update_or_create(
        tenant=tenant,
        defaults={
            "stripe_customer_id": f"cus_{tenant.schema_name}",
            "status": status,
            "plan": Plan.objects.get(code=plan_code),
            "synced_at": timezone.now(),
        },
    )


def _api_calls(tenant: Tenant, minute: datetime, value: float) -> None:
    MetricMinute.objects.create(
        name="ml_api_calls",
        minute=minute,
        field=f"endpoint=/items/{{id}},status=2xx,tenant={tenant.schema_name}",
        value=value,
    )


def test_mrr_counts_active_and_trialing_and_reports_past_due_apart(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    _subscribe(tenant_a, "pro", SubscriptionStatus.ACTIVE)
    _subscribe(tenant_b, "starter", SubscriptionStatus.PAST_DUE)

    snapshot = business_snapshot(now=NOW)

    pro = Plan.objects.get(code="pro").monthly_price_cents
    starter = Plan.objects.get(code="starter").monthly_price_cents
    assert snapshot.mrr_cents == pro
    assert snapshot.arr_cents == 12 * pro
    assert snapshot.past_due_mrr_cents == starter
    assert snapshot.subscriptions_by_status == {"active": 1, "past_due": 1}

    _subscribe(tenant_b, "starter", SubscriptionStatus.TRIALING)

    assert business_snapshot(now=NOW).mrr_cents == pro + starter


def test_api_calls_per_store_come_from_the_days_metric_rollups(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    start = datetime(2026, 3, 9, tzinfo=UTC)
    _api_calls(tenant_a, start + timedelta(hours=1), 7)
    _api_calls(tenant_a, start + timedelta(hours=23, minutes=59), 3)
    _api_calls(tenant_b, start + timedelta(hours=2), 5)
    _api_calls(tenant_b, start - timedelta(minutes=1), 100)  # the day before
    _api_calls(tenant_b, start + timedelta(days=1), 100)  # the day after

    row = analytics_process(day=DAY, now=NOW)

    assert row.per_tenant["tenant-a"]["ml_api_calls"] == 10
    assert row.per_tenant["tenant-b"]["ml_api_calls"] == 5
    assert row.ml_api_calls == 15
    assert row.per_tenant["tenant-a"]["orders"] == 0
    assert row.tenants_total == Tenant.objects.exclude(schema_name="public").count()
    assert row.schema_count >= 2
    assert row.database_bytes > 0


def test_running_it_twice_for_a_day_keeps_one_row_with_the_latest_numbers(
    tenant_a: Tenant,
) -> None:
    _subscribe(tenant_a, "starter", SubscriptionStatus.ACTIVE)
    analytics_process(day=DAY, now=NOW)
    _subscribe(tenant_a, "pro", SubscriptionStatus.ACTIVE)

    analytics_process(day=DAY, now=NOW + timedelta(hours=1))

    row = DailySnapshot.objects.get()
    assert row.day == DAY
    assert row.mrr_cents == Plan.objects.get(code="pro").monthly_price_cents


def test_the_command_prints_the_snapshot_and_refuses_a_bad_day(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("process_analytics", "--day", "2026-03-09")

    out = capsys.readouterr().out
    assert "process_analytics: succeeded" in out
    assert "MRR: R$" in out
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("process_analytics", "--day", "yesterday")


def _accounts(tenant: Tenant, *statuses: str) -> None:
    for index, status in enumerate(statuses):
        account_add(tenant, ml_user_id=9000 + index, status=status)


def test_the_snapshot_counts_connected_ml_accounts_and_the_stores_holding_them(
    tenant_a: Tenant, tenant_b: Tenant
) -> None:
    _accounts(
        tenant_a, MLAccountStatus.ACTIVE, MLAccountStatus.PAUSED, MLAccountStatus.DISCONNECTED
    )
    _accounts(tenant_b, MLAccountStatus.NEEDS_RECONNECTION)

    row = analytics_process(day=DAY, now=NOW)

    assert row.ml_accounts_by_status == {"active": 1, "needs_reconnection": 1, "paused": 1}
    assert row.stores_ml_connected == 2
    assert row.stores_several_ml_accounts == 1
    assert row.per_tenant["tenant-a"]["ml_accounts"] == 2
    assert row.per_tenant["tenant-b"]["ml_accounts"] == 1


def test_the_command_prints_money_as_reais(
    tenant_a: Tenant, capsys: pytest.CaptureFixture[str]
) -> None:
    _subscribe(tenant_a, "pro", SubscriptionStatus.ACTIVE)
    yearly = 12 * Plan.objects.get(code="pro").monthly_price_cents
    reais, centavos = divmod(yearly, 100)

    call_command("process_analytics", "--day", "2026-03-09")

    assert yearly >= 100_000  # so the thousands are grouped
    assert f"ARR: R$ {reais // 1000}.{reais % 1000:03d},{centavos:02d}" in capsys.readouterr().out


def test_the_snapshot_admin_shows_money_as_reais(staff_client: Client) -> None:
    DailySnapshot.objects.create(
        day=DAY, taken_at=NOW, mrr_cents=123_456, arr_cents=1_481_472, past_due_mrr_cents=5
    )

    page = staff_client.get(
        "/admin/maintenance/dailysnapshot/", headers={"Accept-Language": "en"}
    ).text

    assert "R$ 1.234,56" in page
    assert "R$ 14.814,72" in page
    assert "R$ 0,05" in page
