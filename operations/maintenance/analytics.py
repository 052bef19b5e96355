"""``process_analytics``: the runbook's business KPIs as one snapshot per UTC day.

``business_snapshot(now=…)`` computes the numbers (any code may call it); ``analytics_process``
stores them for a day, replacing that day's row, so a re-run the same day changes nothing but
the numbers. MRR counts trialing and active subscriptions at their plan's monthly price;
past_due subscriptions are reported apart (revenue at risk), not in MRR.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, tenant_context

from billing.models import SubscriptionMirror, SubscriptionStatus
from integrations.mercadolivre.models import MLAccount, MLAccountStatus, MLItem, MLOrder
from operations.backups.models import Backup, BackupStatus
from operations.maintenance.errors import InvalidArgument
from operations.maintenance.models import DailySnapshot
from operations.models import MetricMinute
from tenants.models import Tenant

CURRENCY = "BRL"
MRR_STATUSES = (SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE)


@dataclass(frozen=True)
class BusinessSnapshot:
    taken_at: datetime
    window_start: datetime
    window_end: datetime
    tenants_total: int
    tenants_by_status: dict[str, int]
    tenants_by_plan: dict[str, int]
    subscriptions_by_status: dict[str, int]
    mrr_cents: int
    arr_cents: int
    past_due_mrr_cents: int
    subscriptions_without_price: int
    ml_api_calls: int
    ml_notifications: int
    stripe_events: int
    per_tenant: dict[str, dict[str, int]] = field(default_factory=dict)
    # Connected ML accounts (not disconnected ones) by status, and the stores holding them.
    ml_accounts_by_status: dict[str, int] = field(default_factory=dict)
    stores_ml_connected: int = 0
    stores_several_ml_accounts: int = 0
    schema_count: int = 0
    database_bytes: int = 0
    rows_estimate: int = 0
    backup_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("taken_at", "window_start", "window_end"):
            data[name] = data[name].isoformat()
        return data


def _metric_total(name: str, start: datetime, end: datetime) -> int:
    total = MetricMinute.objects.filter(name=name, minute__gte=start, minute__lt=end).aggregate(
        total=Sum("value")
    )["total"]
    return int(total or 0)


def _label(field_name: str, label: str) -> str | None:
    for pair in field_name.split("|", 1)[0].split(","):
        key, _, value = pair.partition("=")
        if key == label:
            return value
    return None


def _api_calls_per_tenant(start: datetime, end: datetime) -> dict[str, int]:
    per: Counter[str] = Counter()
    rows = (
        MetricMinute.objects.filter(name="ml_api_calls", minute__gte=start, minute__lt=end)
        .values("field")
        .annotate(total=Sum("value"))
    )
    for row in rows:
        per[_label(row["field"], "tenant") or "-"] += int(row["total"] or 0)
    return dict(per)


def _revenue() -> tuple[dict[str, int], int, int, int]:
    by_status: Counter[str] = Counter()
    mrr = past_due = without_price = 0
    for status, price, currency in SubscriptionMirror.objects.values_list(
        "status", "plan__monthly_price_cents", "plan__currency"
    ):
        by_status[status] += 1
        if status not in (*MRR_STATUSES, SubscriptionStatus.PAST_DUE):
            continue
        if price is None or currency != CURRENCY:
            without_price += 1
        elif status == SubscriptionStatus.PAST_DUE:
            past_due += price
        else:
            mrr += price
    return dict(sorted(by_status.items())), mrr, past_due, without_price


def _database_numbers() -> tuple[int, int, int]:
    public = get_public_schema_name()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%%' "
            "AND nspname NOT IN ('information_schema', %s)",
            [public],
        )
        schemas = int(cursor.fetchone()[0])
        cursor.execute("SELECT pg_database_size(current_database())")
        size = int(cursor.fetchone()[0])
        cursor.execute("SELECT coalesce(sum(n_live_tup), 0) FROM pg_stat_user_tables")
        rows = int(cursor.fetchone()[0])
    return schemas, size, rows


def _ml_accounts_by_status() -> dict[str, int]:
    """The current store's connected ML accounts by status (every status, zeros included)."""
    counted = dict(
        MLAccount.objects.exclude(status=MLAccountStatus.DISCONNECTED)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        str(status): int(counted.get(status, 0))
        for status in MLAccountStatus
        if status != MLAccountStatus.DISCONNECTED
    }


def business_snapshot(*, now: datetime, since: datetime | None = None) -> BusinessSnapshot:
    """The business numbers now; activity (API calls, events) over ``since``..``now``
    (default: the 24 hours before ``now``), from the per-minute metric rollups."""
    start = since or now - timedelta(days=1)
    if start >= now:
        raise InvalidArgument("the window must start before it ends")
    tenants = list(Tenant.objects.exclude(schema_name=get_public_schema_name()))
    calls = _api_calls_per_tenant(start, now)
    per_tenant: dict[str, dict[str, int]] = {}
    accounts: Counter[str] = Counter()
    stores_connected = stores_several = 0
    for tenant in tenants:
        with tenant_context(tenant):
            store_accounts = _ml_accounts_by_status()
            per_tenant[tenant.schema_name] = {
                "ml_api_calls": calls.get(tenant.schema_name, 0),
                "items": MLItem.objects.count(),
                "orders": MLOrder.objects.count(),
                "ml_accounts": sum(store_accounts.values()),
            }
        accounts.update(store_accounts)
        stores_connected += sum(store_accounts.values()) > 0
        stores_several += sum(store_accounts.values()) > 1
    subscriptions, mrr, past_due, without_price = _revenue()
    schemas, size, rows = _database_numbers()
    backups = Backup.objects.filter(status=BackupStatus.SUCCEEDED).aggregate(
        total=Sum("size_bytes")
    )["total"]
    by_status = Tenant.objects.exclude(schema_name=get_public_schema_name()).values("status")
    by_plan = Tenant.objects.exclude(schema_name=get_public_schema_name()).values("plan_code")
    return BusinessSnapshot(
        taken_at=timezone.now(),
        window_start=start,
        window_end=now,
        tenants_total=len(tenants),
        tenants_by_status={
            row["status"]: row["n"] for row in by_status.annotate(n=Count("id")).order_by()
        },
        tenants_by_plan={
            row["plan_code"]: row["n"] for row in by_plan.annotate(n=Count("id")).order_by()
        },
        subscriptions_by_status=subscriptions,
        mrr_cents=mrr,
        arr_cents=mrr * 12,
        past_due_mrr_cents=past_due,
        subscriptions_without_price=without_price,
        ml_api_calls=sum(calls.values()),
        ml_notifications=_metric_total("ml_notifications", start, now),
        stripe_events=_metric_total("stripe_events", start, now),
        per_tenant=per_tenant,
        ml_accounts_by_status={
            str(status): accounts[str(status)]
            for status in MLAccountStatus
            if status != MLAccountStatus.DISCONNECTED
        },
        stores_ml_connected=stores_connected,
        stores_several_ml_accounts=stores_several,
        schema_count=schemas,
        database_bytes=size,
        rows_estimate=rows,
        backup_bytes=int(backups or 0),
    )


def analytics_process(*, day: date | None = None, now: datetime | None = None) -> DailySnapshot:
    """Store the snapshot of ``day`` (default: yesterday, UTC): activity over that day, the
    business state as of now. Running it again for the same day replaces that day's row."""
    now = now or timezone.now()
    day = day or (now.astimezone(UTC) - timedelta(days=1)).date()
    start = datetime.combine(day, time.min, tzinfo=UTC)
    if start >= now:
        raise InvalidArgument(f"{day} has not started yet")
    end = min(start + timedelta(days=1), now)
    snapshot = business_snapshot(now=end, since=start)
    values = snapshot.as_dict()
    for name in ("window_start", "window_end", "subscriptions_without_price"):
        values.pop(name)
    values["taken_at"] = snapshot.taken_at
    row, _created = DailySnapshot.objects.update_or_create(day=day, defaults=values)
    return row
