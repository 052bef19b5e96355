"""Personal data in billing: the store owner's e-mail at Stripe and in our records."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from billing.errors import BillingError
from billing.models import (
    BillingCustomer,
    BillingNotice,
    CheckoutAttempt,
    Refund,
    StripeEvent,
)
from billing.stripe_api import stripe_call
from compliance.dsr.scrub import erased_email, scrubbed
from compliance.registry import (
    Erasure,
    Subject,
    SubjectKind,
    external_source,
    not_personal,
    personal_data,
)
from tenants.models import Tenant

SELLER = (SubjectKind.SELLER_USER,)
FISCAL = "invoices and payments are fiscal records kept 5 years (LGPD Art. 16 I; CTN Art. 195)"


def _customer(tenant: Tenant, subject: Subject) -> QuerySet[Any]:
    return BillingCustomer.objects.filter(tenant=tenant, email__iexact=subject.email)


personal_data(
    BillingCustomer,
    fields=["email"],
    subjects=SELLER,
    locate=_customer,
    erasure=Erasure.ANONYMIZE,
    anonymize=lambda row: {"email": erased_email(row.email)},
    why_kept=FISCAL,
    schema="public",
)
personal_data(
    BillingNotice,
    fields=["recipient"],
    subjects=SELLER,
    locate=lambda tenant, subject: BillingNotice.objects.filter(
        tenant=tenant, recipient__iexact=subject.email
    ),
    erasure=Erasure.ANONYMIZE,
    anonymize=lambda row: {"recipient": erased_email(row.recipient)},
    why_kept="the keys stop the same dunning e-mail from going out twice",
    schema="public",
)
personal_data(
    CheckoutAttempt,
    fields=["started_by"],
    subjects=SELLER,
    locate=lambda tenant, subject: CheckoutAttempt.objects.filter(
        tenant=tenant, started_by__iexact=subject.email
    ),
    erasure=Erasure.ANONYMIZE,
    anonymize=lambda row: {"started_by": erased_email(row.started_by)},
    why_kept="checkout sessions are part of the payment record",
    schema="public",
)


def _stripe_events(tenant: Tenant, subject: Subject) -> QuerySet[Any]:
    """The store's events, and any event (linked to a store or not: a late or orphaned one)
    about the store's Stripe customer or naming the subject's e-mail."""
    naming = Q(payload_text__icontains=subject.email) if subject.email else Q(pk__in=[])
    if subject.owns(tenant):
        customers = list(
            BillingCustomer.objects.filter(tenant=tenant).values_list(
                "stripe_customer_id", flat=True
            )
        )
        naming |= Q(tenant=tenant) | Q(payload__data__object__customer__in=customers)
        naming |= Q(payload__data__object__id__in=customers)
    return StripeEvent.objects.annotate(payload_text=Cast("payload", TextField())).filter(naming)


personal_data(
    StripeEvent,
    fields=["payload"],
    subjects=SELLER,
    locate=_stripe_events,
    erasure=Erasure.ANONYMIZE,
    anonymize=lambda row: {"payload": scrubbed(row.payload)},
    why_kept="the event ledger proves what Stripe told us; names and addresses are removed",
    schema="public",
)
not_personal(
    Refund,
    fields=["requested_by", "note"],
    reason="the staff member who refunded (staff accountability), not a data subject's data",
)


def _stripe_customer(tenant: Tenant, subject: Subject) -> dict[str, Any]:
    """The Stripe customer of the store, when the subject is its owner."""
    if not subject.owns(tenant):
        return {}
    customer = BillingCustomer.objects.filter(tenant=tenant).first()
    if customer is None:
        return {}
    customer_id = customer.stripe_customer_id
    try:
        found = stripe_call(lambda c: c.v1.customers.retrieve(customer_id), what="dsr export")
    except BillingError as exc:
        return {"stripe_customer": {"id": customer_id, "unavailable": exc.message}}
    keep = ("id", "email", "name", "phone", "address", "preferred_locales", "created", "metadata")
    return {"stripe_customer": {key: found.get(key) for key in keep}}


external_source(_stripe_customer)
