"""A plan's usage figures come from the apps that count them, through one registry."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from billing.usage import PLAN_FIGURES, usage_figures, usage_for, usage_provider_register
from tests.api.conftest import api_client, token_for
from tests.dashboard.support import account_connect, items_seed, orders_seed

pytestmark = pytest.mark.django_db


def test_every_figure_the_plan_limits_has_one_provider():
    assert sorted(usage_figures()) == sorted(PLAN_FIGURES)


def test_a_second_provider_for_a_figure_is_refused():
    def items_again(*, tenant, now):
        return 0

    with pytest.raises(ValueError, match="items"):
        usage_provider_register("items", items_again)


def test_usage_is_the_stores_own_read_from_the_public_schema(tenant_a, tenant_b):
    account_connect(tenant_a, ml_user_id=111)
    items_seed(tenant_a, 4, prefix="A")
    orders_seed(tenant_a, 2, first_id=1, nickname="a", created=timezone.now())
    items_seed(tenant_b, 9, prefix="B")
    token = token_for(tenant_a)
    assert api_client(tenant_a, token).get("/api/v1/items/").status_code == 200
    connection.set_schema_to_public()

    usage = usage_for(tenant=tenant_a)

    assert usage == {"api_calls_today": 1, "items": 4, "orders_this_month": 2, "ml_accounts": 1}
    assert connection.schema_name == "public"


def test_only_the_figures_asked_for_are_read(tenant_a):
    assert usage_for(tenant=tenant_a, names=["api_calls_today"]) == {"api_calls_today": 0}
    with pytest.raises(KeyError):
        usage_for(tenant=tenant_a, names=["seats"])
