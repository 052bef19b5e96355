"""Per-plan API rate limits, counted in Redis so every web process shares them.

Two fixed windows per request: the store's calls today (UTC) against its plan's
``api_calls_per_day``, and the calls of this credential (token, or user for sessions) in the
current minute against ``PEEPERS_API_BURST_PER_MINUTE``. Over either: 429 with Retry-After and
a ``detail`` in the request's language (Accept-Language, through LocaleMiddleware).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.translation import ngettext
from redis.exceptions import RedisError
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api.models import ApiToken
from billing.entitlements import Entitlement, entitlements_for
from core.redis import redis_client, redis_key
from tenants.models import Tenant

if TYPE_CHECKING:
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600


def daily_key(tenant_id: object, day: str) -> str:
    return redis_key("tenant", tenant_id, "api", "calls", day)


def burst_key(tenant_id: object, credential: str, minute: int) -> str:
    return redis_key("tenant", tenant_id, "api", "burst", credential, minute)


def utc_day(now: datetime) -> str:
    """The day a store's daily quota counts in: ``20261206``, UTC."""
    return now.astimezone(UTC).strftime("%Y%m%d")


def _credential(request: Request) -> str:
    if isinstance(request.auth, ApiToken):
        return f"token:{request.auth.pk}"
    return f"user:{getattr(request.user, 'pk', 'anonymous')}"


class PlanRateThrottle(BaseThrottle):
    def allow_request(self, request: Request, view: APIView) -> bool:
        tenant: Tenant | None = getattr(request, "tenant", None)
        if tenant is None or tenant.is_public:
            return True
        if not request.user or not request.user.is_authenticated:
            # Open endpoints (the schema) must not let strangers spend a store's quota.
            return True
        entitlement: Entitlement = getattr(request, "entitlement", None) or entitlements_for(
            tenant=tenant
        )
        now = timezone.now()
        minute = int(now.timestamp()) // 60
        day_key = daily_key(tenant.pk, utc_day(now))
        minute_key = burst_key(tenant.pk, _credential(request), minute)
        try:
            pipe = redis_client().pipeline()
            pipe.incr(day_key)
            pipe.expire(day_key, DAY_SECONDS + 3600)
            pipe.incr(minute_key)
            pipe.expire(minute_key, 120)
            day_count, _day_ttl, minute_count, _minute_ttl = pipe.execute()
        except RedisError:
            # Limits protect us from heavy clients; an outage of the counter is not theirs.
            logger.warning("API rate limit counters unavailable; request let through")
            return True
        per_day = entitlement.limits.api_calls_per_day
        if int(day_count) > per_day:
            tomorrow = datetime.combine(
                now.astimezone(UTC).date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC
            )
            raise Throttled(
                wait=max(1, int((tomorrow - now).total_seconds())),
                detail=entitlement.limit_message(
                    ngettext(
                        "The %(plan)s plan allows %(n)s API call a day.",
                        "The %(plan)s plan allows %(n)s API calls a day.",
                        per_day,
                    )
                    % {"plan": entitlement.limits.name, "n": per_day}
                ),
                code="daily_limit_exceeded",
            )
        per_minute = int(settings.PEEPERS_API_BURST_PER_MINUTE)
        if int(minute_count) > per_minute:
            raise Throttled(
                wait=max(1, 60 - int(now.timestamp()) % 60),
                detail=ngettext(
                    "At most %(n)s API call a minute per token; slow down.",
                    "At most %(n)s API calls a minute per token; slow down.",
                    per_minute,
                )
                % {"n": per_minute},
                code="burst_limit_exceeded",
            )
        return True
