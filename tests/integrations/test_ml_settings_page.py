"""The Mercado Livre settings page of a store with several accounts: listing them against the
plan's limit, connecting another, disconnecting, pausing and making one active again."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from integrations.mercadolivre.models import MLAccount, MLAccountStatus, MLItem, MLOrder
from integrations.mercadolivre.services import ml_accounts_fit_plan, ml_connect_start
from integrations.mercadolivre.sync import ml_sync_initial
from integrations.models import MLConnection
from tenants.models import Tenant
from tests.integrations.support import connect
from tests.support.billing import subscription_set
from tests.support.clients import store_client
from tests.support.sandbox import approve
from users.models import Role, User

pytestmark = pytest.mark.django_db

PAGE = "/settings/mercado-livre/"


@pytest.fixture
def pro_store(sandbox, tenant_a):
    """Store A on the Pro plan (two accounts) with the sandbox's first two sellers."""
    subscription_set(tenant_a, "active", plan_code="pro")
    return (
        tenant_a,
        connect(sandbox, tenant_a, seller_index=0),
        connect(sandbox, tenant_a, seller_index=1),
    )


def statuses(tenant: Tenant) -> dict[int, str]:
    with tenant_context(tenant):
        return dict(MLAccount.objects.values_list("ml_user_id", "status"))


def account_card(html: str, ml_user_id: int) -> str:
    """The page's section about account ``ml_user_id`` ("" when it lists none)."""
    found = re.search(rf'id="ml-account-{ml_user_id}".*?</section>', html, re.S)
    return found.group(0) if found else ""


def member_client(tenant: Tenant) -> Client:
    with tenant_context(tenant):
        User.objects.create_user("clerk@a.example.com", "a-long-password-22", role=Role.MEMBER)
    client = Client(HTTP_HOST=tenant.get_primary_domain().domain)
    client.post("/login/", {"username": "clerk@a.example.com", "password": "a-long-password-22"})
    return client


def test_the_page_lists_every_connected_account_against_the_plan(pro_store, sandbox):
    tenant, first, second = pro_store
    ml_sync_initial(tenant=tenant, ml_user_id=first)

    html = store_client(tenant, login=True).get(PAGE).text

    assert "2 of 2 accounts on the Pro plan." in html
    for index, ml_user_id in enumerate((first, second)):
        card = account_card(html, ml_user_id)
        assert sandbox.sellers[index].nickname in card
        assert "<dd>Connected</dd>" in card
        assert f'action="/settings/mercado-livre/disconnect/{ml_user_id}"' in card
        assert f'href="/orders/export.csv?account={ml_user_id}"' in card
        assert "Access expires" in card
    # Each account's own last successful sync.
    assert "Not yet" not in account_card(html, first)
    assert "Not yet" in account_card(html, second)
    # At the limit: no "connect another", a way to a bigger plan instead.
    assert "Connect another account" not in html
    assert 'id="ml-limit-reached"' in html
    assert 'href="/billing/"' in html


def test_a_store_under_its_limit_is_offered_another_account(sandbox, tenant_a):
    subscription_set(tenant_a, "active", plan_code="pro")
    connect(sandbox, tenant_a, seller_index=0)

    html = store_client(tenant_a, login=True).get(PAGE).text

    assert "1 of 2 accounts on the Pro plan." in html
    assert "Connect another account" in html
    assert 'id="ml-limit-reached"' not in html


def test_at_the_limit_another_seller_is_refused_with_a_link_to_billing(sandbox, tenant_a):
    first = connect(sandbox, tenant_a, seller_index=0)  # Starter: one account
    html = store_client(tenant_a, login=True).get(PAGE).text
    assert "1 of 1 account on the Starter plan." in html
    assert "Connect another account" not in html

    started = ml_connect_start(tenant=tenant_a, started_by="test")
    params = approve(started.authorization_url, seller_id=sandbox.sellers[1].id)
    refused = Client(HTTP_HOST="localhost").get("/auth/callback", params)

    assert refused.status_code == 400
    assert "allows 1 Mercado Livre account" in refused.text
    assert 'href="http://tenant-a.localhost:8000/billing/"' in refused.text
    assert statuses(tenant_a) == {first: MLAccountStatus.ACTIVE}
    # The account already connected signs in again: a reconnection, not a refusal.
    assert connect(sandbox, tenant_a, seller_index=0) == first
    assert statuses(tenant_a) == {first: MLAccountStatus.ACTIVE}


def test_a_refusal_other_than_the_limit_links_to_no_billing_page(sandbox, tenant_a, tenant_b):
    connect(sandbox, tenant_a, seller_index=0)
    started = ml_connect_start(tenant=tenant_b, started_by="test")
    params = approve(started.authorization_url, seller_id=sandbox.sellers[0].id)

    refused = Client(HTTP_HOST="localhost").get("/auth/callback", params)

    assert refused.status_code == 400
    assert "/billing/" not in refused.text
    assert 'href="http://tenant-b.localhost:8000/settings/mercado-livre/"' in refused.text


def test_disconnecting_one_account_keeps_the_other_and_its_own_rows(pro_store):
    tenant, first, second = pro_store
    ml_sync_initial(tenant=tenant, ml_user_id=second)
    with tenant_context(tenant):
        kept = (
            MLItem.objects.filter(account__ml_user_id=second).count(),
            MLOrder.objects.filter(account__ml_user_id=second).count(),
        )
    assert kept[0] > 0
    client = store_client(tenant, login=True)

    page = client.post(f"/settings/mercado-livre/disconnect/{second}", follow=True)

    assert page.redirect_chain == [(PAGE, 302)]
    assert "disconnected. Peepers deleted its access tokens" in page.text
    assert statuses(tenant) == {
        first: MLAccountStatus.ACTIVE,
        second: MLAccountStatus.DISCONNECTED,
    }
    assert set(MLConnection.objects.values_list("ml_user_id", flat=True)) == {first}
    with tenant_context(tenant):
        assert (
            MLItem.objects.filter(account__ml_user_id=second).count(),
            MLOrder.objects.filter(account__ml_user_id=second).count(),
        ) == kept
    assert account_card(page.text, second) == ""
    assert account_card(page.text, first) != ""
    assert "1 of 2 accounts on the Pro plan." in page.text
    assert 'id="ml-accounts-disconnected"' in page.text


def test_the_disconnect_form_names_one_account_or_means_them_all(pro_store):
    tenant, first, second = pro_store
    client = store_client(tenant, login=True)

    client.post("/settings/mercado-livre/disconnect", {"ml_user_id": str(first)})
    assert statuses(tenant) == {
        first: MLAccountStatus.DISCONNECTED,
        second: MLAccountStatus.ACTIVE,
    }

    client.post("/settings/mercado-livre/disconnect")
    assert set(statuses(tenant).values()) == {MLAccountStatus.DISCONNECTED}


def test_a_read_only_store_may_still_disconnect_one_account(pro_store):
    tenant, first, second = pro_store
    subscription_set(tenant, "unpaid", plan_code="pro")

    store_client(tenant, login=True).post(f"/settings/mercado-livre/disconnect/{second}")

    assert statuses(tenant) == {
        first: MLAccountStatus.ACTIVE,
        second: MLAccountStatus.DISCONNECTED,
    }


def test_pausing_and_making_active_respect_the_plans_limit(pro_store):
    tenant, first, second = pro_store
    subscription_set(tenant, "active", plan_code="starter")
    assert ml_accounts_fit_plan(tenant=tenant) == [second]
    client = store_client(tenant, login=True)
    html = client.get(PAGE).text
    assert 'id="ml-accounts-paused"' in html
    assert "1 of 1 account on the Starter plan." in html
    assert 'action="/settings/mercado-livre/activate/' in account_card(html, second)

    refused = client.post(f"/settings/mercado-livre/activate/{second}", follow=True)
    assert "The Starter plan allows 1 Mercado Livre account." in refused.text
    assert statuses(tenant) == {first: MLAccountStatus.ACTIVE, second: MLAccountStatus.PAUSED}

    client.post(f"/settings/mercado-livre/pause/{first}")
    assert 'id="ml-accounts-paused"' not in client.get(PAGE).text  # room for one again
    made_active = client.post(f"/settings/mercado-livre/activate/{second}", follow=True)

    assert "is active again" in made_active.text
    assert statuses(tenant) == {first: MLAccountStatus.PAUSED, second: MLAccountStatus.ACTIVE}


def test_a_member_sees_the_accounts_but_cannot_act_on_them(pro_store):
    tenant, _, second = pro_store
    before = statuses(tenant)
    client = member_client(tenant)

    html = client.get(PAGE).text
    assert account_card(html, second) != ""
    assert "Disconnect this account" not in html
    assert "Only the store's owner or an admin can change this connection." in html
    for path in (
        f"/settings/mercado-livre/disconnect/{second}",
        f"/settings/mercado-livre/pause/{second}",
        f"/settings/mercado-livre/activate/{second}",
    ):
        page = client.post(path, follow=True)
        assert page.redirect_chain == [(PAGE, 302)], path
        assert "Only the store&#x27;s owner or an admin can" in page.text, path

    assert statuses(tenant) == before


def test_another_stores_accounts_are_never_listed_nor_touched(pro_store, sandbox, tenant_b):
    tenant, _, _ = pro_store
    theirs = connect(sandbox, tenant_b, seller_index=2)
    client = store_client(tenant, login=True)

    html = client.get(PAGE).text
    assert account_card(html, theirs) == ""
    assert sandbox.sellers[2].nickname not in html
    for path in (
        f"/settings/mercado-livre/disconnect/{theirs}",
        f"/settings/mercado-livre/pause/{theirs}",
    ):
        page = client.post(path, follow=True)
        assert "is not connected to this store" in page.text, path

    assert statuses(tenant_b) == {theirs: MLAccountStatus.ACTIVE}
    assert MLConnection.objects.get(ml_user_id=theirs).tenant_id == tenant_b.pk


def test_the_pages_times_are_the_sellers(pro_store):
    tenant, first, _ = pro_store
    with tenant_context(tenant):
        MLAccount.objects.filter(ml_user_id=first).update(
            connected_at=datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
        )

    html = store_client(tenant, login=True).get(PAGE).text

    # 15:00 UTC is noon in São Paulo.
    assert "06/12/2026 12:00" in account_card(html, first)
