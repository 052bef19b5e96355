"""A store's offboarding at Stripe: nothing bills it, the customer no longer names its owner, and
what Stripe says about that customer afterwards is stored without the owner's data."""

from __future__ import annotations

from billing.closure import stripe_customer_redact
from billing.models import BillingCustomer, StripeEvent
from compliance.closure import closure_steps
from compliance.dsr.scrub import erased_email
from tests.billing.flows import subscribe


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
