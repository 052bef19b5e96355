"""``make dev``'s demo: ``seed_demo`` then ``demo_connect`` give a store connected to a sandbox
seller and synced, whose overview has sales today, in 7 and in 30 days; the second store stays
new."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.entitlements import entitlements_for
from integrations.mercadolivre.models import MLAccount, MLAccountStatus, MLItem, MLOrder
from tenants.demo import DEMO_PASSWORD, DEMO_STORE, NEW_STORE
from tenants.models import Tenant
from tenants.services import tenant_create
from tests.accounts.conftest import logged_in
from tests.integrations.support import sandbox_until
from tests.support.billing import subscription_set
from tests.support.sandbox import SandboxAdmin
from users.models import User

pytestmark = pytest.mark.django_db

# The sandbox as ``make dev`` runs it (its data generated up to a moment: no living buyers here).
DEV_SANDBOX = {"sellers": 2, "items": 30, "orders": 20, "questions": 5, "seed": 1}


@pytest.fixture
def current_sandbox(settings) -> Iterator[SandboxAdmin]:
    with sandbox_until(
        settings, data_end=timezone.now().replace(microsecond=0), **DEV_SANDBOX
    ) as sandbox:
        yield sandbox


def _sales(html: str, period: str) -> tuple[str, int]:
    """The overview's revenue and order count for ``period`` (today, 7d, 30d)."""
    card = re.search(rf'id="sales-{period}">(.*?)</div>', html, re.S)
    assert card is not None, html
    revenue = re.search(r'class="stat-value">([^<]+)<', card.group(1))
    orders = re.search(r"(\d+) orders?", card.group(1))
    assert revenue is not None, card.group(1)
    assert orders is not None, card.group(1)
    return revenue.group(1).strip(), int(orders.group(1))


def test_the_demo_store_is_connected_synced_and_has_sales_today_7_and_30_days(current_sandbox):
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("demo_connect", stdout=out, stderr=StringIO())

    first = current_sandbox.sellers[0]
    assert f"connected to the sandbox seller {first.nickname} ({first.id}) and synced" in (
        out.getvalue()
    )
    demo = Tenant.objects.get(schema_name=DEMO_STORE.slug)
    with tenant_context(demo):
        account = MLAccount.objects.get()
        assert (account.ml_user_id, account.status) == (first.id, MLAccountStatus.ACTIVE)
        assert MLItem.objects.filter(account=account).count() == 30
        assert MLOrder.objects.filter(account=account).exists()

    page = logged_in(demo, DEMO_STORE.owner, DEMO_PASSWORD).get("/")
    assert page.status_code == 200
    html = page.content.decode()
    for period in ("today", "7d", "30d"):
        revenue, orders = _sales(html, period)
        assert orders > 0, (period, revenue)
        assert revenue not in ("R$ 0,00", "R$\xa00,00"), (period, revenue)

    # The second store is new: not connected, its overview offers the connection.
    new = Tenant.objects.get(schema_name=NEW_STORE.slug)
    with tenant_context(new):
        assert not MLAccount.objects.exists()
    overview = logged_in(new, NEW_STORE.owner, DEMO_PASSWORD).get("/").content.decode()
    assert 'id="checklist"' in overview


def test_a_restart_hours_later_leaves_the_store_holding_what_the_sandbox_serves(settings):
    """Each make dev starts a sandbox that knows none of the old tokens and dates its data up
    to the new start: the store connects again and holds exactly the sandbox's orders, dated
    anew (a full sync never deletes, so a record the new sandbox no longer served would stay
    and swell the figures)."""
    now = timezone.now().replace(microsecond=0)
    call_command("seed_demo", stdout=StringIO())
    with sandbox_until(settings, data_end=now - timedelta(hours=5, minutes=17), **DEV_SANDBOX):
        call_command("demo_connect", stdout=StringIO(), stderr=StringIO())

    with sandbox_until(settings, data_end=now, **DEV_SANDBOX) as restarted:
        call_command("demo_connect", stdout=StringIO(), stderr=StringIO())
        seller = restarted.sellers[0].id
        served = {
            order.id: order.date_created
            for order in restarted.server.state.dataset.orders.values()
            if order.seller_id == seller
        }

    demo = Tenant.objects.get(schema_name=DEMO_STORE.slug)
    with tenant_context(demo):
        assert MLAccount.objects.get().status == MLAccountStatus.ACTIVE
        assert MLItem.objects.count() == 30
        stored = dict(MLOrder.objects.values_list("id", "date_created"))
    assert stored == served


def test_demo_connect_refuses_an_ml_that_is_not_the_sandbox(settings, db):
    call_command("seed_demo", stdout=StringIO())
    settings.ML_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port

    with pytest.raises(CommandError, match="does not answer"):
        call_command("demo_connect", stdout=StringIO())


def test_demo_connect_needs_the_demo_store(current_sandbox):
    with pytest.raises(CommandError, match="run seed_demo first"):
        call_command("demo_connect", stdout=StringIO())


def test_demo_connect_never_runs_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never runs in production"):
        call_command("demo_connect", stdout=StringIO())


def test_demo_stores_past_their_trial_start_it_again_and_the_demo_connects(current_sandbox):
    call_command("seed_demo", stdout=StringIO())
    long_ago = timezone.now() - timedelta(days=90)
    Tenant.objects.filter(schema_name__in=[DEMO_STORE.slug, NEW_STORE.slug]).update(
        created_at=long_ago
    )
    demo = Tenant.objects.get(schema_name=DEMO_STORE.slug)
    assert not entitlements_for(tenant=demo).may_write

    out = StringIO()
    call_command("demo_connect", stdout=out, stderr=StringIO())

    assert "Loja Demo's free trial starts again" in out.getvalue()
    assert "Loja Nova's free trial starts again" in out.getvalue()
    assert entitlements_for(tenant=Tenant.objects.get(pk=demo.pk)).may_write
    with tenant_context(demo):
        assert MLAccount.objects.get().status == MLAccountStatus.ACTIVE


def test_a_demo_store_with_a_subscription_is_left_to_it(current_sandbox):
    call_command("seed_demo", stdout=StringIO())
    demo = Tenant.objects.get(schema_name=DEMO_STORE.slug)
    subscription_set(demo, "canceled")

    with pytest.raises(CommandError, match="could not connect"):
        call_command("demo_connect", stdout=StringIO(), stderr=StringIO())
    assert Tenant.objects.get(pk=demo.pk).created_at == demo.created_at


def test_a_store_signed_up_at_a_demo_address_is_left_alone(current_sandbox):
    """A developer who signed up ``nova`` or ``demo`` keeps their store: no demo owner with a
    known password is added to it, and demo_connect does not connect it."""
    for slug in (DEMO_STORE.slug, NEW_STORE.slug):
        tenant_create(
            name=f"Mine {slug}",
            slug=slug,
            owner_email=f"dev@{slug}.example.com",
            plan_code="pro",
            owner_password="a-long-enough-password-9",
            terms_accepted=True,
            channel="signup",
        )

    err = StringIO()
    call_command("seed_demo", stdout=StringIO(), stderr=err)

    assert err.getvalue().count("belongs to someone else") == 2
    for slug, owner in ((DEMO_STORE.slug, DEMO_STORE.owner), (NEW_STORE.slug, NEW_STORE.owner)):
        with tenant_context(Tenant.objects.get(schema_name=slug)):
            assert not User.objects.filter(email=owner).exists()
    with pytest.raises(CommandError, match="is not the demo store"):
        call_command("demo_connect", stdout=StringIO())
