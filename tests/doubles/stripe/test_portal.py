"""The Customer Portal: saved configurations and what a session under one lets a customer do."""

import pytest
import stripe

from .flows import paying_customer, plan, subscribe


def configuration(client, *offered, cancel=True, **extra):
    products = [{"product": p.product.id, "prices": [p.price.id]} for p in offered]
    return client.v1.billing_portal.configurations.create(
        params={
            "features": {
                "payment_method_update": {"enabled": True},
                "subscription_cancel": {"enabled": cancel, "mode": "at_period_end"},
                "subscription_update": {
                    "enabled": True,
                    "default_allowed_updates": ["price"],
                    "products": products,
                    "proration_behavior": "create_prorations",
                },
            },
            **extra,
        }
    )


def test_portal_switches_plan_cancels_and_updates_the_card(client, http):
    basic = plan(client, "Basic", 2990)
    pro = plan(client, "Pro", 4990)
    customer = paying_customer(client)
    sub = subscribe(client, customer, basic.price)
    saved = configuration(client, basic, pro)
    portal = client.v1.billing_portal.sessions.create(
        params={
            "customer": customer.id,
            "configuration": saved.id,
            "return_url": "http://store.example.com/billing",
        }
    )

    page = http.get(portal.url)
    assert portal.configuration == saved.id
    assert 'id="return-link" href="http://store.example.com/billing"' in page.text
    assert f'id="switch-{pro.price.id}"' in page.text
    switched = http.post(portal.url, data={"action": "switch", "price": pro.price.id})
    cancelled = http.post(portal.url, data={"action": "cancel"})
    after_cancel = http.get(portal.url).text
    http.post(portal.url, data={"action": "undo_cancel"})
    card = http.post(
        portal.url, data={"action": "update_card", "payment_method": "pm_card_mastercard"}
    )

    assert (switched.status_code, cancelled.status_code, card.status_code) == (303, 303, 303)
    assert 'id="renew-subscription"' in after_cancel
    current = client.v1.subscriptions.retrieve(sub.id)
    assert current["items"].data[0].price.id == pro.price.id
    assert current.cancel_at_period_end is False
    default = client.v1.customers.retrieve(customer.id).invoice_settings.default_payment_method
    assert client.v1.payment_methods.retrieve(default).card.last4 == "4444"
    assert "mastercard" in http.get(portal.url).text


def test_a_session_needs_a_saved_configuration(client):
    customer = paying_customer(client)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.billing_portal.sessions.create(params={"customer": customer.id})

    assert "save your customer portal settings" in str(refused.value.user_message)


def test_only_the_configured_prices_are_offered_and_cancel_can_be_off(client, http):
    basic = plan(client, "Basic", 2990)
    pro = plan(client, "Pro", 4990)
    other = plan(client, "Other", 9990)
    customer = paying_customer(client)
    subscribe(client, customer, basic.price)
    saved = configuration(client, basic, pro, cancel=False)
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "configuration": saved.id}
    )

    page = http.get(portal.url).text
    refused = http.post(portal.url, data={"action": "switch", "price": other.price.id})
    not_cancelled = http.post(portal.url, data={"action": "cancel"})

    assert f'id="switch-{pro.price.id}"' in page
    assert f'id="switch-{other.price.id}"' not in page
    assert 'id="cancel-subscription"' not in page
    assert refused.status_code == 400
    assert not_cancelled.status_code == 400


def test_configuration_is_listed_and_updated_feature_by_feature(client):
    basic = plan(client, "Basic", 2990)
    pro = plan(client, "Pro", 4990)
    saved = configuration(client, basic, metadata={"catalog": "v1"})

    updated = client.v1.billing_portal.configurations.update(
        saved.id,
        params={
            "features": {
                "subscription_update": {
                    "products": [
                        {"product": basic.product.id, "prices": [basic.price.id]},
                        {"product": pro.product.id, "prices": [pro.price.id]},
                    ]
                }
            },
            "metadata": {"catalog": "v2"},
        },
    )
    listed = client.v1.billing_portal.configurations.list()

    products = updated.features.subscription_update.products
    assert [p.prices for p in products] == [[basic.price.id], [pro.price.id]]
    assert updated.features.subscription_update.proration_behavior == "create_prorations"
    assert updated.features.subscription_cancel.enabled is True
    assert updated.metadata.to_dict() == {"catalog": "v2"}
    assert [c.id for c in listed.data] == [saved.id]
    assert client.v1.billing_portal.configurations.retrieve(saved.id).is_default is False


def test_plan_switching_needs_products_and_their_own_prices(client):
    basic = plan(client, "Basic", 2990)
    pro = plan(client, "Pro", 4990)

    with pytest.raises(stripe.InvalidRequestError, match="products"):
        client.v1.billing_portal.configurations.create(
            params={"features": {"subscription_update": {"enabled": True}}}
        )
    with pytest.raises(stripe.InvalidRequestError, match="not a recurring price"):
        client.v1.billing_portal.configurations.create(
            params={
                "features": {
                    "subscription_update": {
                        "enabled": True,
                        "default_allowed_updates": ["price"],
                        "products": [{"product": basic.product.id, "prices": [pro.price.id]}],
                    }
                }
            }
        )
