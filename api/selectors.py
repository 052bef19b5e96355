"""What is read of a store's API use: today's calls against its plan's daily quota."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from redis.exceptions import RedisError

from api.throttling import daily_key, utc_day
from core.redis import redis_client
from tenants.models import Tenant


def api_calls_today(*, tenant: Tenant, now: datetime | None = None) -> int:
    """How many API calls ``tenant`` made today (UTC); 0 when Redis cannot say."""
    try:
        raw = redis_client().get(daily_key(tenant.pk, utc_day(now or timezone.now())))
    except RedisError:
        return 0
    return int(raw) if isinstance(raw, bytes | str) else 0
