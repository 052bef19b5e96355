"""The Customer Portal: one saved configuration, kept by the catalogue sync, under which every
portal session runs."""

import httpx

from billing.catalog import stripe_catalog_sync
from billing.models import Plan, PortalConfiguration
from tenants.models import Tenant
from tests.billing.flows import subscribe
from tests.support.clients import store_client


def _ours(stripe):
    configuration_id = PortalConfiguration.objects.get(key="default").stripe_configuration_id
    return stripe.sdk.v1.billing_portal.configurations.retrieve(configuration_id)


def _public_prices() -> list[list[str]]:
    plans = Plan.objects.filter(is_public=True).order_by("sort_order", "pk")
    return [[plan.stripe_price_id] for plan in plans]


def test_the_catalogue_sync_saves_one_portal_configuration_offering_our_prices(stripe):
    again = stripe_catalog_sync()

    configuration = _ours(stripe)
    features = configuration.features
    assert not any("portal" in line for line in again)
    assert len(stripe.sdk.v1.billing_portal.configurations.list().data) == 1
    assert features.payment_method_update.enabled is True
    assert (features.subscription_cancel.enabled, features.subscription_cancel.mode) == (
        True,
        "at_period_end",
    )
    assert features.subscription_update.enabled is True
    assert [p.prices for p in features.subscription_update.products] == _public_prices()
    assert features.subscription_update.proration_behavior == "always_invoice"


def test_a_new_price_is_offered_by_the_portal_after_the_next_sync(stripe):
    Plan.objects.filter(code="business").update(monthly_price_cents=44900)

    report = stripe_catalog_sync()

    business = Plan.objects.get(code="business")
    offered = [p.prices for p in _ours(stripe).features.subscription_update.products]
    assert any(line.endswith("updated") and "portal" in line for line in report)
    assert [business.stripe_price_id] in offered
    assert offered == _public_prices()


def test_a_configuration_lost_in_a_crash_is_adopted_not_duplicated(stripe):
    PortalConfiguration.objects.all().delete()
    Plan.objects.filter(code="business").update(monthly_price_cents=44900)

    stripe_catalog_sync()

    listed = stripe.sdk.v1.billing_portal.configurations.list().data
    assert len(listed) == 1
    assert [p.prices for p in listed[0].features.subscription_update.products] == _public_prices()


def test_the_portal_session_runs_under_our_configuration(stripe, tenant_a: Tenant):
    Plan.objects.filter(code="starter").update(trial_days=0)
    subscribe(stripe, tenant_a)
    client = store_client(tenant_a, login=True)

    response = client.post("/billing/portal")
    page = httpx.get(response["Location"]).text

    business = Plan.objects.get(code="business")
    assert response.status_code == 303
    assert f'id="switch-{business.stripe_price_id}"' in page
    assert 'id="cancel-subscription"' in page


def test_a_configuration_gone_from_stripe_is_made_again_on_the_next_portal(stripe, tenant_a):
    PortalConfiguration.objects.update(stripe_configuration_id="bpc_gone")
    client = store_client(tenant_a, login=True)

    response = client.post("/billing/portal")

    assert response.status_code == 303
    assert _ours(stripe).id != "bpc_gone"
