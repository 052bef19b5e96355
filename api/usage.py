"""The plan limit the REST API counts against: calls today (UTC)."""

from __future__ import annotations

from datetime import datetime

from api.selectors import api_calls_today
from billing.usage import API_CALLS_TODAY, usage_provider_register
from tenants.models import Tenant


def _api_calls_today(*, tenant: Tenant, now: datetime) -> int:
    return api_calls_today(tenant=tenant, now=now)


usage_provider_register(API_CALLS_TODAY, _api_calls_today)
