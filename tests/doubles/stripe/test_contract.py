"""The emulator holds to the SDK's typed resources for the pinned API version.

One lifecycle (customer, checkout, subscription, plan change, paid and failed invoices, refund,
dispute, portal, events) is driven through the real SDK; every object the emulator answers, as
raw JSON, and every webhook it sends is checked by ``contract.violations`` against the SDK class
for its ``object``. Fields Stripe only *includes* when asked (``expand[]``) must be absent
otherwise.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe
from stripe._api_version import _ApiVersion

from .contract import class_for, violations
from .flows import DAY, invoice_intent, paying_customer, plan, subscribe

# Includable fields of the pinned version: present only when named in ``expand[]`` (the SDK's
# docs on InvoicePayment.list and checkout line items: "there is an includable … property").
INCLUDABLE = {"invoice": ("payments",), "checkout.session": ("line_items",)}


class Seen:
    """Raw JSON bodies of the emulator's answers, each with where it came from."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, label: str, obj: Any) -> Any:
        self.bodies.append((label, json.loads(obj.last_response.body)))
        return obj

    def objects(self) -> list[tuple[str, dict[str, Any]]]:
        """Each object answered, list pages opened into their items."""
        found: list[tuple[str, dict[str, Any]]] = []
        for label, body in self.bodies:
            if body.get("object") in ("list", "search_result"):
                found.extend((f"{label}[{i}]", item) for i, item in enumerate(body["data"]))
            else:
                found.append((label, body))
        return found


def _check(label: str, body: dict[str, Any]) -> list[str]:
    cls = class_for(str(body.get("object")))
    if cls is None:
        return [f"{label}: no SDK class for object {body.get('object')!r}"]
    return violations(body, cls, label)


def _lifecycle(client: stripe.StripeClient, http: Any, admin: Any, seen: Seen) -> None:
    pro = plan(client, "Pro", 4990)
    business = plan(client, "Business", 9990)
    seen("product", client.v1.products.retrieve(pro.product.id))
    seen("price", client.v1.prices.retrieve(pro.price.id))
    seen("prices", client.v1.prices.list())
    rate = client.v1.tax_rates.create(
        params={"display_name": "ISS", "percentage": 5.0, "inclusive": False}
    )
    seen("tax_rate", rate)

    customer = seen("customer", client.v1.customers.create(params={"email": "a@a.example.com"}))
    seen("customers", client.v1.customers.list())
    session = seen(
        "checkout.session",
        client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer.id,
                "line_items": [{"price": pro.price.id, "quantity": 1}],
                "success_url": "http://store.example.com/ok",
                "cancel_url": "http://store.example.com/no",
                "allowed_payment_method_types": ["card"],
            }
        ),
    )
    seen(
        "checkout.session+line_items",
        client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]}),
    )
    seen("checkout.line_items", client.v1.checkout.sessions.line_items.list(session.id))
    assert http.post(session.url, data={"payment_method": "pm_card_visa"}).status_code == 303
    done = seen("checkout.session.done", client.v1.checkout.sessions.retrieve(session.id))
    seen("checkout.sessions", client.v1.checkout.sessions.list())

    sub = seen("subscription", client.v1.subscriptions.retrieve(str(done.subscription)))
    seen("subscriptions", client.v1.subscriptions.list(params={"status": "all"}))
    invoice = seen("invoice", client.v1.invoices.retrieve(str(sub.latest_invoice)))
    paid = seen(
        "invoice+payments", client.v1.invoices.retrieve(invoice.id, params={"expand": ["payments"]})
    )
    payments = seen(
        "invoice_payments", client.v1.invoice_payments.list(params={"invoice": invoice.id})
    )
    intent_id = str(paid.payments.data[0].payment.payment_intent)
    assert [p.payment.payment_intent for p in payments.data] == [intent_id]
    intent = seen("payment_intent", client.v1.payment_intents.retrieve(intent_id))
    charge = seen("charge", client.v1.charges.retrieve(str(intent.latest_charge)))

    seen(
        "invoice_preview",
        client.v1.invoices.create_preview(
            params={
                "customer": customer.id,
                "subscription": sub.id,
                "subscription_details": {
                    "items": [{"id": sub["items"].data[0].id, "price": business.price.id}]
                },
            }
        ),
    )
    seen(
        "subscription.updated",
        client.v1.subscriptions.update(
            sub.id,
            params={
                "items": [{"id": sub["items"].data[0].id, "price": business.price.id}],
                "proration_behavior": "always_invoice",
                "default_tax_rates": [rate.id],
            },
        ),
    )
    seen("invoices", client.v1.invoices.list(params={"customer": customer.id}))
    seen("invoice_lines", client.v1.invoices.line_items.list(invoice.id))
    seen("invoiceitems", client.v1.invoice_items.list())

    seen("refund", client.v1.refunds.create(params={"charge": charge.id, "amount": 1000}))
    seen("refunds", client.v1.refunds.list(params={"charge": charge.id}))
    seen("charge.refunded", client.v1.charges.retrieve(charge.id))
    dispute = admin.post("dispute", {"charge": charge.id})
    seen("dispute", client.v1.disputes.retrieve(dispute["id"]))

    failing = paying_customer(client, "pm_card_chargeCustomerFail")
    unpaid = subscribe(client, failing, pro.price, payment_behavior="allow_incomplete")
    seen("subscription.incomplete", client.v1.subscriptions.retrieve(unpaid.id))
    seen(
        "invoice.failed+payments",
        client.v1.invoices.retrieve(str(unpaid.latest_invoice), params={"expand": ["payments"]}),
    )
    seen("payment_methods", client.v1.customers.payment_methods.list(failing.id))

    configuration = seen(
        "portal.configuration",
        client.v1.billing_portal.configurations.create(
            params={
                "features": {
                    "payment_method_update": {"enabled": True},
                    "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
                    "subscription_update": {
                        "enabled": True,
                        "default_allowed_updates": ["price"],
                        "products": [{"product": pro.product.id, "prices": [pro.price.id]}],
                    },
                    "invoice_history": {"enabled": True},
                },
            }
        ),
    )
    seen("portal.configurations", client.v1.billing_portal.configurations.list())
    seen(
        "portal.configuration.updated",
        client.v1.billing_portal.configurations.update(
            configuration.id, params={"metadata": {"catalog": "peepers"}}
        ),
    )
    seen(
        "portal.session",
        client.v1.billing_portal.sessions.create(
            params={"customer": customer.id, "configuration": configuration.id}
        ),
    )
    admin.advance(32 * DAY)
    seen("subscription.canceled", client.v1.subscriptions.cancel(sub.id))
    seen("events", client.v1.events.list(params={"limit": 100}))


def _other_paths(client: stripe.StripeClient, admin: Any, seen: Seen) -> None:
    """Trials, boleto, 3-D Secure, voided and uncollectible invoices, expiry, search."""
    pro = plan(client, "Pro", 4990)
    trialing = paying_customer(client)
    trial = subscribe(client, trialing, pro.price, trial_period_days=7)
    seen("subscription.trialing", client.v1.subscriptions.retrieve(trial.id))
    admin.advance(8 * DAY)
    seen("subscription.after_trial", client.v1.subscriptions.retrieve(trial.id))

    boleto = paying_customer(client, "pm_boleto")
    voucher = subscribe(client, boleto, pro.price)
    intent = seen(
        "payment_intent.boleto",
        client.v1.payment_intents.retrieve(invoice_intent(client, str(voucher.latest_invoice))),
    )
    admin.post("pay_boleto", {"payment_intent": intent.id, "paid": True})
    seen("payment_intent.boleto_paid", client.v1.payment_intents.retrieve(intent.id))

    secure = paying_customer(client, "pm_card_authenticationRequired")
    pending = subscribe(client, secure, pro.price, payment_behavior="allow_incomplete")
    seen(
        "payment_intent.3ds",
        client.v1.payment_intents.retrieve(invoice_intent(client, str(pending.latest_invoice))),
    )

    failing = paying_customer(client, "pm_card_chargeCustomerFail")
    voided = subscribe(client, failing, pro.price, payment_behavior="allow_incomplete")
    seen("invoice.voided", client.v1.invoices.void_invoice(str(voided.latest_invoice)))
    other = subscribe(client, failing, pro.price, payment_behavior="allow_incomplete")
    seen("invoice.uncollectible", client.v1.invoices.mark_uncollectible(str(other.latest_invoice)))

    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer_email": "late@a.example.com",
            "line_items": [{"price": pro.price.id, "quantity": 1}],
            "success_url": "http://store.example.com/ok",
        }
    )
    seen("checkout.session.expired", client.v1.checkout.sessions.expire(session.id))
    seen(
        "customers.search",
        client.v1.customers.search(params={"query": "email:'late@a.example.com'"}),
    )
    card = client.v1.customers.retrieve(trialing.id).invoice_settings
    assert card is not None
    seen(
        "payment_method.detached",
        client.v1.payment_methods.detach(str(card.default_payment_method)),
    )
    seen("events.all", client.v1.events.list(params={"limit": 100}))


@pytest.fixture
def lifecycle(client, http, admin, receiver) -> tuple[Seen, list[dict[str, Any]]]:
    seen = Seen()
    _lifecycle(client, http, admin, seen)
    _other_paths(client, admin, seen)
    admin.post("webhooks/flush")
    return seen, receiver.events()


def test_every_answer_and_webhook_matches_the_sdk_types(lifecycle):
    seen, webhooks = lifecycle
    objects = seen.objects() + [(f"webhook {e['type']}", e) for e in webhooks]

    found = [v for label, body in objects for v in _check(label, body)]

    assert len(webhooks) > 20
    assert {e["type"] for e in webhooks} >= {
        "checkout.session.completed",
        "checkout.session.expired",
        "customer.subscription.trial_will_end",
        "invoice.upcoming",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.payment_action_required",
        "invoice.voided",
        "invoice.marked_uncollectible",
        "charge.refunded",
        "charge.dispute.created",
        "customer.subscription.deleted",
        "payment_method.detached",
    }
    assert found == [], "\n".join(found)


def test_events_carry_the_pinned_api_version(lifecycle):
    _, webhooks = lifecycle

    assert {e["api_version"] for e in webhooks} == {_ApiVersion.CURRENT}


def test_includable_fields_come_only_when_expanded(lifecycle):
    seen, webhooks = lifecycle
    objects = seen.objects() + [(e["type"], e["data"]["object"]) for e in webhooks]

    unasked = [
        f"{label}.{name}"
        for label, body in objects
        for name in INCLUDABLE.get(str(body.get("object")), ())
        if name in body and "+" + name not in label
    ]
    expanded = dict(seen.objects())

    assert unasked == []
    assert expanded["invoice+payments"]["payments"]["data"][0]["status"] == "paid"
    assert expanded["checkout.session+line_items"]["line_items"]["data"][0]["quantity"] == 1


def test_the_checker_names_removed_missing_and_out_of_enum_fields():
    invoice = {"object": "invoice", "id": "in_1", "charge": "ch_1", "status": "settled"}

    found = violations(invoice, stripe.Invoice)

    assert "invoice.charge: not a field of Invoice in this API version" in found
    assert "invoice.issuer: required by Invoice, missing" in found
    assert any(v.startswith("invoice.status: 'settled' not one of") for v in found)
    assert "invoice.customer: required by Invoice, missing" not in found  # Optional
