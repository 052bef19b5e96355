"""A seller's whole life in Peepers, then the store closed: what is left of them, found by value.

One person with values found nowhere else (e-mail, name, ML nickname, address of their store)
signs up, connects Mercado Livre in the sandbox, syncs, gets a notification, subscribes through
Checkout in the Stripe emulator, is edited by staff and downloads their data; then staff close
the store and offboard it at once. Every text, varchar and JSON column of the public schema and
the store's schema is scanned for the person's values: each one left is in a column ``KEPT``
names with its legal basis, or the test fails naming the column.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_exists, tenant_context

from billing.models import BillingCustomer
from compliance.consent.privacy_center import privacy_export
from compliance.retention.models import StoreOffboarding
from integrations.mercadolivre.inbox import notification_process
from integrations.mercadolivre.models import MLOrder
from integrations.mercadolivre.services import ml_connect_start
from integrations.mercadolivre.sync import ml_sync_initial
from integrations.models import MLAuthorization, MLConnection
from tenants.models import SignupAgreement, Tenant
from tests.billing.conftest import stripe, stripe_emulator
from tests.billing.flows import subscribe
from tests.integrations.conftest import ml_sandbox, sandbox
from tests.integrations.support import notify, open_question
from tests.support.clients import staff_client
from tests.support.db import store_requests_delete
from tests.support.personal_scan import personal_values_found
from tests.support.sandbox import approve
from users.models import User

__all__ = ["ml_sandbox", "sandbox", "stripe", "stripe_emulator"]

SLUG = "vida-inteira"
EMAIL = "quiteria.vidainteira@example.com"
FULL_NAME = "Quitéria Vidainteira"
USER_AGENT = "Navegador-Vidainteira/1.0"

# Columns that may still hold the person's values after closure, and why (the legal basis).
KEPT = {
    "public.compliance_datasubjectrequest.subject_email": (
        "the requests answered for them (the final export, each erasure) are the evidence "
        "that they were answered (LGPD Arts. 18-19, 37)"
    ),
    # Who filed and who verified a request they made themselves (the privacy center's
    # "download my data", verified by their login): the same evidence of an answered request.
    "public.compliance_datasubjectrequest.filed_by": "who filed it, as above (Arts. 18-19, 37)",
    "public.compliance_datasubjectrequest.verified_by": "who verified it, as above",
    "public.audit_auditevent.actor_email": (
        "access and security logs: Marco Civil da Internet Art. 15 (6 months), LGPD Art. 46; "
        "removed by the audit_access_log retention category"
    ),
    "public.audit_auditevent.user_agent": "access logs (Marco Civil Art. 15), as above",
    "public.audit_auditevent.details": "access and change logs (Marco Civil Art. 15), as above",
}


@pytest.fixture
def life(committed_db, stripe, sandbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.LANGUAGE_CODE = "en"
    mail.outbox = []
    yield settings.MEDIA_ROOT
    store_requests_delete(tenant__schema_name=SLUG)


def signup() -> Tenant:
    page = Client(HTTP_HOST="localhost", HTTP_USER_AGENT=USER_AGENT).post(
        "/signup/",
        {
            "name": "Ateliê Vida Inteira",
            "slug": SLUG,
            "email": EMAIL,
            "password": "a-long-enough-password-9",
            "plan": "starter",
            "accept_terms": "on",
        },
    )
    assert page.status_code == 302, page.content
    tenant = Tenant.objects.get(schema_name=SLUG)
    with tenant_context(tenant):
        User.objects.filter(email=EMAIL).update(full_name=FULL_NAME)
    return tenant


def connect_and_sync(sandbox, tenant: Tenant) -> tuple[int, str]:
    seller = sandbox.sellers[0]
    started = ml_connect_start(tenant=tenant, started_by=EMAIL)
    params = approve(started.authorization_url, seller_id=seller.id)
    assert Client(HTTP_HOST="localhost").get("/auth/callback", params).status_code == 302
    ml_sync_initial(tenant=tenant)
    question = open_question(tenant)
    notification = notify(seller.id, question.id)
    notification_process(notification_id=notification.pk)
    return int(seller.id), str(seller.nickname)


def test_after_closure_only_what_the_law_keeps_names_the_seller(life, stripe, sandbox):
    tenant = signup()
    seller_id, nickname = connect_and_sync(sandbox, tenant)
    subscribe(stripe, tenant)
    customer_id = BillingCustomer.objects.get(tenant=tenant).stripe_customer_id
    staff = staff_client()
    for action in ("suspend", "reactivate"):  # staff edit the store
        staff.post("/admin/tenants/tenant/", {"action": action, "_selected_action": [tenant.pk]})
    with tenant_context(tenant):
        privacy_export(tenant=tenant, user=User.objects.get(email=EMAIL))
        assert MLOrder.objects.filter(raw__seller__nickname=nickname).exists()
    values = [EMAIL, FULL_NAME, nickname, USER_AGENT]
    before = {f.column for f in personal_values_found(values, schemas=["public", SLUG])}
    assert {
        "public.tenants_signupagreement.email",
        "public.integrations_mlconnection.nickname",
    } <= before

    closed = staff.post(
        "/admin/tenants/tenant/",
        {
            "action": "close",
            "_selected_action": [tenant.pk],
            "confirmed": "yes",
            "offboard": "yes",
        },
        follow=True,
    )
    stripe.deliver_new()  # what Stripe says after the closure, about the redacted customer

    assert f"{SLUG}: offboarded." in [str(m) for m in closed.context["messages"]]
    assert not schema_exists(SLUG)
    left = personal_values_found(values, schemas=["public", SLUG], exempt=KEPT)
    assert left == [], "personal values left after closure, in no column declared kept"
    # ML: our tokens and the routing row are gone; Stripe: nothing bills, nothing names them.
    assert not MLConnection.objects.filter(ml_user_id=seller_id).exists()
    assert not MLAuthorization.objects.filter(tenant=tenant, started_by=EMAIL).exists()
    assert SignupAgreement.objects.get(tenant=tenant).email.endswith("@erased.invalid")
    customer = stripe.sdk.v1.customers.retrieve(customer_id)
    assert (customer.email, customer.name) == (None, None)
    subs = stripe.sdk.v1.subscriptions.list(params={"customer": customer_id, "status": "all"})
    assert {s.status for s in subs.data} == {"canceled"}
    # The store's exports went with it; the final export holds the fiscal order records.
    assert not (Path(life) / "exports" / SLUG).exists()
    offboarding = StoreOffboarding.objects.get(tenant=tenant)
    with zipfile.ZipFile(Path(life) / offboarding.export_path) as archive:
        orders = json.loads(archive.read("records/mercadolivre_orders.json"))
        manifest = json.loads(archive.read("manifest.json"))
    assert orders
    assert {"id", "total_cents", "date_created", "buyer_id"} <= set(orders[0])
    assert {order["seller_ml_user_id"] for order in orders} == {seller_id}
    assert manifest["subject"] == EMAIL
