"""A store's offboarding at Stripe: nothing bills it, the customer no longer names its owner, and
what Stripe says about that customer afterwards is stored without the owner's data."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_exists

from billing.closure import stripe_customer_redact
from billing.models import BillingCustomer, StripeEvent
from compliance.closure import closure_steps
from compliance.dsr.scrub import erased_email
from compliance.retention.models import StoreOffboarding
from tenants.services import tenant_create
from tests.billing.flows import subscribe
from tests.support.clients import staff_client
from tests.support.db import OWNER_PASSWORD, store_requests_delete


def test_the_offboarding_step_cancels_and_redacts_the_stripe_customer(stripe, tenant_a):
    mirror = subscribe(stripe, tenant_a)

    done = closure_steps()["stripe_customer"](tenant_a, "staff@peepers.example")

    assert done == {"customers": 1, "subscriptions_canceled": 1}
    customer = stripe.sdk.v1.customers.retrieve(mirror.stripe_customer_id)
    assert (customer.email, customer.name, customer.phone) == (None, None, None)
    assert customer.metadata["tenant_id"] == str(tenant_a.public_id)  # late events find it
    sub = stripe.sdk.v1.subscriptions.retrieve(mirror.stripe_subscription_id)
    assert sub.status == "canceled"
    assert closure_steps()["stripe_customer"](tenant_a, "again")["customers"] == 1  # repeatable


def test_a_late_event_about_an_erased_customer_is_stored_scrubbed(stripe, tenant_a):
    mirror = subscribe(stripe, tenant_a)
    customer = BillingCustomer.objects.get(tenant=tenant_a)
    BillingCustomer.objects.filter(pk=customer.pk).update(email=erased_email(customer.email))
    stripe.new_events()  # what the checkout sent is already stored
    last = StripeEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    stripe_customer_redact(stripe_customer_id=mirror.stripe_customer_id)
    stripe.deliver_new()

    late = StripeEvent.objects.get(type="customer.updated", pk__gt=last)
    assert "previous_attributes" in late.payload["data"]
    assert tenant_a.owner_email not in str(late.payload)
    assert late.payload["data"]["object"]["id"] == mirror.stripe_customer_id


def test_an_event_about_a_customer_still_ours_is_stored_as_sent(stripe, tenant_a):
    subscribe(stripe, tenant_a)

    assert StripeEvent.objects.filter(payload__data__object__email=tenant_a.owner_email).exists()


@pytest.fixture
def closing(committed_db, stripe, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tenant = tenant_create(
        name="Fechando",
        slug="fechando-stripe",
        owner_email="owner@fechando.example.com",
        owner_password=OWNER_PASSWORD,
        plan_code="starter",
        terms_accepted=True,
        channel="command",
    ).tenant
    yield tenant
    store_requests_delete(tenant=tenant)


def test_with_stripe_down_the_offboarding_stops_before_the_drop_and_resumes(stripe, closing):
    subscribe(stripe, closing)
    client = staff_client()
    stripe.admin("faults", {"outage": True})

    failed = client.post(
        "/admin/tenants/tenant/",
        {
            "action": "close",
            "_selected_action": [closing.pk],
            "confirmed": "yes",
            "offboard": "yes",
        },
        follow=True,
    )

    shown = [str(m) for m in failed.context["messages"]]
    assert any("not offboarded" in m and "resume" in m for m in shown), shown
    assert schema_exists("fechando-stripe")
    stripe.admin("faults", {"outage": False})
    offboarding = StoreOffboarding.objects.get(tenant=closing)
    client.post(
        "/admin/retention/storeoffboarding/",
        {"action": "resume", "_selected_action": [offboarding.pk]},
    )
    assert not schema_exists("fechando-stripe")
    customer = BillingCustomer.objects.get(stripe_customer_id__startswith="cus_", tenant=closing)
    assert stripe.sdk.v1.customers.retrieve(customer.stripe_customer_id).email is None
