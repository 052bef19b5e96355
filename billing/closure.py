"""What closing a store undoes at Stripe once it is offboarded: nothing left to bill, and the
customer no longer names the owner.

Closing already cancels the live subscriptions (``billing.receivers``); the offboarding cancels
any left and clears the customer's e-mail, name, phone and description (Stripe's customer
update: an empty string unsets a field). The customer object stays, with its invoices (fiscal
records, LGPD Art. 16 I; CTN Art. 195) and its ``tenant_id`` metadata, so late events still
find the store; what they say about the customer is stored without its personal fields
(``stripe_payload_storable``), since the customer's e-mail and name are erased on our side too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing.models import BillingCustomer
from billing.offboarding import subscriptions_cancel
from billing.stripe_api import JSON, idempotency, obj_id, stripe_call
from compliance.closure import closure_step
from compliance.dsr.scrub import ERASED_DOMAIN, scrubbed
from tenants.models import Tenant

REDACTED_FIELDS = ("email", "name", "phone", "description")


def stripe_customer_redact(*, stripe_customer_id: str) -> JSON:
    """Unset the Stripe customer's personal fields; the customer and its invoices stay."""
    params = dict.fromkeys(REDACTED_FIELDS, "")
    return stripe_call(
        lambda c: c.v1.customers.update(
            stripe_customer_id,
            params=params,  # type: ignore[arg-type]
            options=idempotency("customer-redact", stripe_customer_id),  # type: ignore[arg-type]
        ),
        what="customer redact",
    )


@closure_step("stripe_customer")
def _stripe_customer_offboard(tenant: Tenant, by: str) -> Mapping[str, Any]:
    customers = list(
        BillingCustomer.objects.filter(tenant=tenant).values_list("stripe_customer_id", flat=True)
    )
    canceled = 0
    for customer_id in customers:
        canceled += subscriptions_cancel(stripe_customer_id=customer_id, reason="store offboarded")
        stripe_customer_redact(stripe_customer_id=customer_id)
    return {"customers": len(customers), "subscriptions_canceled": canceled}


def _event_customer(payload: Mapping[str, Any]) -> str:
    obj = (payload.get("data") or {}).get("object") or {}
    if not isinstance(obj, dict):
        return ""
    if obj.get("object") == "customer":
        return str(obj.get("id") or "")
    return obj_id(obj.get("customer"))


def stripe_payload_storable(payload: dict[str, Any]) -> dict[str, Any]:
    """An incoming event as the inbox may keep it: scrubbed of names and addresses when it is
    about a customer whose owner was erased (a late event after a store's offboarding, such as
    the ``customer.updated`` whose ``previous_attributes`` repeat the e-mail just cleared)."""
    customer = _event_customer(payload)
    erased = (
        bool(customer)
        and BillingCustomer.objects.filter(
            stripe_customer_id=customer, email__endswith=ERASED_DOMAIN
        ).exists()
    )
    return dict(scrubbed(payload)) if erased else payload
