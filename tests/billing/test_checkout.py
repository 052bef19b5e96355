"""Subscribing from the billing page: Checkout, two tabs, Stripe down, the Portal, plan changes."""

import threading

import pytest
from django.db import connection

from billing.checkout import checkout_start, plan_change_preview
from billing.errors import CheckoutNotAllowed, PlanChangeNotAllowed, StripeUnavailable
from billing.models import BillingCustomer, CheckoutAttempt, Plan, SubscriptionMirror
from tenants.models import Tenant
from tests.billing.flows import STORE_URL, subscribe
from tests.support.clients import store_client


def start(tenant, code="starter"):
    return checkout_start(
        tenant=tenant, plan=Plan.objects.get(code=code), started_by="owner", base_url=STORE_URL
    )


def test_the_store_gets_one_customer_carrying_its_uuid(stripe, tenant_a):
    start(tenant_a)
    start(tenant_a, "pro")

    customer = BillingCustomer.objects.get(tenant=tenant_a)
    found = stripe.sdk.v1.customers.retrieve(customer.stripe_customer_id)
    assert found.metadata["tenant_id"] == str(tenant_a.public_id)
    assert len(stripe.sdk.v1.customers.list().data) == 1


def test_a_second_tab_reuses_the_open_checkout_session(stripe, tenant_a):
    first = start(tenant_a)
    second = start(tenant_a)

    assert (second.url, second.reused) == (first.url, True)
    assert len(stripe.sdk.v1.checkout.sessions.list().data) == 1


def test_choosing_another_plan_closes_the_first_session(stripe, tenant_a):
    first = start(tenant_a)
    second = start(tenant_a, "pro")

    sessions = {s.url or s.id: s.status for s in stripe.sdk.v1.checkout.sessions.list().data}
    assert second.url != first.url
    assert sorted(sessions.values()) == ["expired", "open"]


def test_two_tabs_at_once_make_one_session(committed_db, stripe):
    # Each thread is a request with its own connection; the store's row lock serialises them.
    tenant_a = Tenant.objects.get(schema_name="tenant-a")
    urls: list[str] = []
    errors: list[BaseException] = []

    def tab() -> None:
        try:
            urls.append(start(tenant_a).url)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    tabs = [threading.Thread(target=tab) for _ in range(3)]
    for thread in tabs:
        thread.start()
    for thread in tabs:
        thread.join()

    assert not errors
    assert len(set(urls)) == 1
    assert CheckoutAttempt.objects.filter(tenant=tenant_a).count() == 1
    assert len(stripe.sdk.v1.customers.list().data) == 1


def test_a_store_with_a_live_subscription_cannot_check_out_again(stripe, tenant_a):
    subscribe(stripe, tenant_a)

    with pytest.raises(CheckoutNotAllowed, match="already has a subscription"):
        start(tenant_a, "pro")


def test_stripe_down_during_checkout_is_a_clear_message_and_nothing_is_charged(stripe, tenant_a):
    stripe.admin("faults", {"outage": True})
    with pytest.raises(StripeUnavailable, match="Nothing was charged"):
        start(tenant_a)
    stripe.admin("faults", {"outage": False})

    again = start(tenant_a)
    assert not again.reused
    assert len(stripe.sdk.v1.subscriptions.list(params={"status": "all"}).data) == 0


def test_the_billing_page_shows_plans_and_subscribes_through_checkout(stripe, tenant_a):
    client = store_client(tenant_a, login=True)

    page = client.get("/billing/")
    response = client.post("/billing/checkout", {"plan": "pro"})

    assert page.status_code == 200
    assert "R$ 149,00" in page.text
    assert response.status_code == 303
    assert response["Location"].startswith(f"{stripe.url}/checkout/cs_")


def test_stripe_down_on_the_billing_page_says_so(stripe, tenant_a):
    client = store_client(tenant_a, login=True)
    stripe.admin("faults", {"outage": True})

    response = client.post("/billing/checkout", {"plan": "pro"}, follow=True)

    assert response.status_code == 200
    assert "Stripe is not answering right now" in response.text


def test_the_hosted_checkout_returns_to_the_success_page(stripe, tenant_a):
    client = store_client(tenant_a, login=True)
    hosted = client.post("/billing/checkout", {"plan": "starter"})["Location"]
    session_id = hosted.rsplit("/", 1)[1]
    stripe.admin(f"checkout/{session_id}/complete", {"payment_method": "card"})

    back = client.get(f"/billing/success?session_id={session_id}", follow=True)

    assert "Thank you! Your store is now on Starter." in back.text
    assert "Trialing" in back.text


def test_the_portal_is_opened_for_the_stores_customer(stripe, tenant_a):
    subscribe(stripe, tenant_a)
    client = store_client(tenant_a, login=True)

    response = client.post("/billing/portal")

    assert response.status_code == 303
    assert response["Location"].startswith(f"{stripe.url}/portal/")


def test_a_plan_change_is_previewed_then_confirmed(stripe, tenant_a):
    Plan.objects.filter(code="starter").update(trial_days=0)
    subscribe(stripe, tenant_a)
    client = store_client(tenant_a, login=True)

    english = {"Accept-Language": "en"}

    preview = client.get("/billing/change/pro", headers=english)
    token = preview.context["preview"].token
    forged = client.post(
        "/billing/change/pro", {"preview": token + "x"}, follow=True, headers=english
    )
    elsewhere = client.post(
        "/billing/change/business", {"preview": token}, follow=True, headers=english
    )
    confirmed = client.post("/billing/change/pro", {"preview": token}, follow=True, headers=english)

    assert preview.status_code == 200
    assert "Charged now" in preview.text
    assert "preview the change again" in forged.text
    assert "That preview is for another change" in elsewhere.text
    assert "Your store is now on Pro." in confirmed.text


def test_changing_to_the_current_plan_is_refused(stripe, tenant_a):
    subscribe(stripe, tenant_a)
    with pytest.raises(PlanChangeNotAllowed, match="already on the Starter plan"):
        plan_change_preview(tenant=tenant_a, plan=Plan.objects.get(code="starter"))


def test_a_member_can_see_billing_but_not_change_it(stripe, tenant_a):
    from django_tenants.utils import tenant_context

    from users.models import Role, User

    with tenant_context(tenant_a):
        User.objects.create_user(email="member@a.test", password="pw-member-123!", role=Role.MEMBER)
    client = store_client(tenant_a)
    client.post("/login/", {"username": "member@a.test", "password": "pw-member-123!"})

    page = client.get("/billing/")
    refused = client.post("/billing/checkout", {"plan": "pro"}, follow=True)

    assert page.status_code == 200
    assert "Only the store" in refused.text
    assert not CheckoutAttempt.objects.exists()


def test_a_tab_opened_before_the_other_paid_cannot_start_a_second_subscription(stripe, tenant_a):
    first = start(tenant_a)
    session_id = first.url.rsplit("/", 1)[1]
    stripe.admin(f"checkout/{session_id}/complete", {"payment_method": "card"})
    # No webhook has arrived: the mirror still says "no subscription".

    with pytest.raises(CheckoutNotAllowed, match="just subscribed"):
        start(tenant_a, "pro")

    subs = stripe.sdk.v1.subscriptions.list(params={"status": "all"}).data
    assert len(subs) == 1
    assert SubscriptionMirror.objects.get(tenant=tenant_a).status == "trialing"


def test_a_plan_whose_price_changed_is_not_sold_until_the_catalogue_syncs(stripe, tenant_a):
    Plan.objects.filter(code="pro").update(monthly_price_cents=15900)

    with pytest.raises(CheckoutNotAllowed, match="not on sale right now"):
        start(tenant_a, "pro")


def test_checkout_gives_only_what_is_left_of_the_signup_trial(stripe, tenant_a):
    from datetime import timedelta

    from django.utils import timezone

    Tenant.objects.filter(pk=tenant_a.pk).update(created_at=timezone.now() - timedelta(days=10))
    tenant_a.refresh_from_db()

    mirror = subscribe(stripe, tenant_a)

    left = mirror.trial_end - timezone.now()
    assert timedelta(days=3) < left <= timedelta(days=4, minutes=1)
