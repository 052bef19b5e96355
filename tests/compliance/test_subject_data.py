"""Access exports and erasure over a seeded store: every registered field, nothing from another
store, and after erasure no copy of the subject's data in any table (scan by value)."""

import json
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Invitation
from billing.models import BillingCustomer, BillingNotice, CheckoutAttempt, Plan, StripeEvent
from compliance.audit.models import ActorKind, AuditAction
from compliance.audit.services import Actor, audit_record
from compliance.consent.models import ConsentChannel
from compliance.consent.services import consent_grant
from compliance.dsr.erasure import _step, erasure_replay, subject_erase
from compliance.dsr.exports import export_link_token, subject_export
from compliance.dsr.requests import dsr_open
from compliance.errors import ErasureRefused
from compliance.models import ErasureStep, RequestKind, RequestScope
from compliance.registry import SubjectKind, declarations
from integrations.mercadolivre.models import MLAccount, MLOrder, MLQuestion, SyncRun
from integrations.models import MLAuthorization, MLConnection
from tenants.models import SignupAgreement, TenantStatus
from tenants.services import tenant_set_status
from tests.support.personal_scan import personal_values_found
from users.models import User

pytestmark = pytest.mark.django_db

BUYER = 987654321
OTHER_BUYER = 111222333
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
ML_SELLER = {"A": 5550001, "B": 5550002}


def order_raw(
    order_id: int, buyer: int, first: str, nickname: str, seller: str = "LOJA_A"
) -> dict[str, Any]:
    return {
        "id": order_id,
        "seller": {"id": 5550001, "nickname": seller},
        "buyer": {"id": buyer, "nickname": nickname, "first_name": first, "last_name": "Quintas"},
        "shipping": {
            "receiver_address": {"street_name": "Rua das Acácias", "zip_code": "01001000"}
        },
        "payments": [{"id": order_id + 1, "payer_id": buyer, "status": "approved"}],
        "order_items": [{"item": {"id": "MLB1", "title": "Caneca"}, "quantity": 1}],
    }


def seed_store(tenant, *, suffix: str) -> None:
    """A store with two buyers' orders and questions, and its owner's traces everywhere."""
    with tenant_context(tenant):
        for index, (buyer, first, nick) in enumerate(
            [(BUYER, "Zebedeu", "COMPRADOR_ZEBEDEU"), (OTHER_BUYER, "Outra", "OUTRA_PESSOA")]
        ):
            order_id = 2000000000 + index * 10
            MLOrder.objects.create(
                id=order_id,
                status="paid",
                date_created=NOW,
                last_updated=NOW,
                total_cents=5000,
                paid_cents=5000,
                currency="BRL",
                buyer_id=buyer,
                buyer_nickname=nick,
                items=[{"item_id": "MLB1", "quantity": 1}],
                payments=[{"id": order_id + 1, "payer_id": buyer}],
                raw=order_raw(order_id, buyer, first, nick, seller=f"LOJA_{suffix}"),
                synced_at=NOW,
            )
            MLQuestion.objects.create(
                id=3000000000 + index,
                item_id="MLB1",
                text=f"Tem azul? assinado {first} {suffix}",
                status="UNANSWERED",
                date_created=NOW,
                last_updated=NOW,
                from_id=buyer,
                raw={"from": {"id": buyer}, "text": f"Tem azul? assinado {first} {suffix}"},
                synced_at=NOW,
            )
        consent_grant(
            user=User.objects.get(email=tenant.owner_email),
            purpose="marketing_email",
            channel=ConsentChannel.ADMIN,
        )
        MLAccount.objects.create(
            ml_user_id=ML_SELLER[suffix],
            nickname=f"LOJA_{suffix}",
            connected_at=NOW,
            connected_by=tenant.owner_email,
        )
        # The owner invited a member, and once mistyped the password (django-axes' records).
        invitee = User.objects.create_user(f"convidado@{suffix.lower()}.example.com", None)
        Invitation.objects.create(user=invitee, role="member", invited_by_email=tenant.owner_email)
        trace = {
            "username": tenant.owner_email,
            "ip_address": f"198.51.100.{ML_SELLER[suffix] % 100}",
            "user_agent": f"Navegador-{suffix}",
            "http_accept": "text/html",
            "path_info": "/login/",
        }
        AccessAttempt.objects.create(**trace, failures_since_start=1)
        AccessFailureLog.objects.create(**trace)
        AccessLog.objects.create(**trace)
    MLConnection.objects.create(
        ml_user_id=ML_SELLER[suffix], tenant=tenant, nickname=f"LOJA_{suffix}", connected_at=NOW
    )
    MLAuthorization.objects.create(
        tenant=tenant, started_by=tenant.owner_email, code_verifier="x", expires_at=NOW
    )
    SignupAgreement.objects.filter(tenant=tenant).update(
        ip_address=f"203.0.113.{ML_SELLER[suffix] % 100}", user_agent=f"Navegador-{suffix}"
    )
    BillingCustomer.objects.create(
        tenant=tenant,
        tenant_public_id=tenant.public_id,
        stripe_customer_id=f"cus_{suffix}",
        email=tenant.owner_email,
    )
    BillingNotice.objects.create(
        key=f"trial_ending:{suffix}",
        kind="trial_ending",
        tenant=tenant,
        recipient=tenant.owner_email,
    )
    CheckoutAttempt.objects.create(
        tenant=tenant,
        plan=Plan.objects.get(code="pro"),
        stripe_session_id=f"cs_{suffix}",
        url="https://checkout.example/x",
        started_by=tenant.owner_email,
        expires_at=NOW,
    )
    audit_record(
        action=AuditAction.LOGIN_SUCCEEDED,
        actor=Actor(kind=ActorKind.USER, id="1", email=tenant.owner_email),
        tenant=tenant,
    )
    StripeEvent.objects.create(
        event_id=f"evt_{suffix}",
        type="invoice.paid",
        tenant=tenant,
        payload={"data": {"object": {"customer_email": tenant.owner_email, "id": "in_1"}}},
    )


@pytest.fixture
def stores(tenant_a, tenant_b, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 1
    seed_store(tenant_a, suffix="A")
    seed_store(tenant_b, suffix="B")
    return tenant_a, tenant_b


def request_for(tenant, scope, kind, **subject):
    return dsr_open(tenant=tenant, scope=scope, kind=kind, channel="e-mail", **subject).request


def read_zip(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def scan(values, schemas):
    """(schema.table.column, value) for every text, JSON, id and address column holding any of
    ``values``."""
    found = personal_values_found(values, schemas=schemas, also=("bigint", "inet"))
    return [(f.column, f.value) for f in found]


EXEMPT_COLUMNS = {
    # The request itself is the evidence of the answer (Arts. 18-19, 37).
    "public.compliance_datasubjectrequest.subject_email",
    "public.compliance_datasubjectrequest.subject_ml_user_id",
    # The suppression list: the erased buyer's ML id, so sync never stores them again (Art. 16).
    "public.compliance_erasedsubject.ml_user_id",
    # Access logs, kept by law (Marco Civil Art. 15), declared Erasure.KEEP.
    "public.audit_auditevent.actor_email",
    "public.audit_auditevent.ip_address",
    "public.audit_auditevent.user_agent",
    "public.audit_auditevent.details",
}


def test_a_buyers_access_export_has_every_registered_field_and_nobody_else(stores):
    tenant_a, _ = stores
    request = request_for(
        tenant_a, RequestScope.BUYER, RequestKind.ACCESS, subject_ml_user_id=BUYER
    )

    done = subject_export(request=request)
    files = read_zip(done.path)

    manifest = json.loads(files["manifest.json"])
    expected = {d.label: list(d.fields) for d in declarations() if SubjectKind.BUYER in d.subjects}
    assert {m["model"]: m["fields"] for m in manifest["models"]} == expected
    assert {m["model"]: m["rows"] for m in manifest["models"] if m["rows"]} == {
        "mercadolivre.MLOrder": 1,
        "mercadolivre.MLQuestion": 1,
    }
    everything = "".join(files.values())
    assert "COMPRADOR_ZEBEDEU" in everything
    assert "Zebedeu A" in everything  # the question of this store
    assert "OUTRA_PESSOA" not in everything  # another buyer
    assert "Zebedeu B" not in everything  # the same buyer in another store
    orders = json.loads(files["mercadolivre_MLOrder.json"])
    provenance = ["account_ml_user_id", "account_nickname"]
    assert set(orders[0]) == {"pk", *expected["mercadolivre.MLOrder"], *provenance}
    assert (
        files["mercadolivre_MLOrder.csv"].splitlines()[0]
        == "pk,buyer_id,buyer_nickname,raw,payments,account_ml_user_id,account_nickname"
    )


def test_an_owners_export_covers_every_seller_declaration(stores):
    tenant_a, _ = stores
    request = request_for(
        tenant_a, RequestScope.SELLER_USER, RequestKind.ACCESS, subject_email=tenant_a.owner_email
    )

    files = read_zip(subject_export(request=request).path)

    manifest = json.loads(files["manifest.json"])
    rows = {m["model"]: m["rows"] for m in manifest["models"]}
    sellers = {d.label for d in declarations() if SubjectKind.SELLER_USER in d.subjects}
    assert set(rows) == sellers
    # Every declaration finds the owner (staff edited nothing of theirs: no admin history).
    assert all(count >= 1 for label, count in rows.items() if label != "admin.LogEntry"), rows
    assert "cus_B" not in "".join(files.values())
    assert json.loads(files["external.json"])["stripe_customer"]["id"] == "cus_A"


def test_the_export_link_works_on_its_store_only(stores):
    tenant_a, _ = stores
    request = request_for(
        tenant_a, RequestScope.BUYER, RequestKind.PORTABILITY, subject_ml_user_id=BUYER
    )
    subject_export(request=request)
    request.refresh_from_db()
    token = export_link_token(request=request)

    mine = Client(HTTP_HOST="tenant-a.localhost").get(f"/privacy/exports/{token}")
    theirs = Client(HTTP_HOST="tenant-b.localhost").get(f"/privacy/exports/{token}")
    forged = Client(HTTP_HOST="tenant-a.localhost").get(f"/privacy/exports/{token}x")

    assert mine.status_code == 200
    assert mine["Content-Disposition"].startswith("attachment;")
    assert b"".join(mine.streaming_content)[:2] == b"PK"
    assert (theirs.status_code, forged.status_code) == (404, 404)


def test_an_expired_export_link_says_so(stores, settings):
    tenant_a, _ = stores
    request = request_for(
        tenant_a, RequestScope.BUYER, RequestKind.ACCESS, subject_ml_user_id=BUYER
    )
    subject_export(request=request)
    request.refresh_from_db()
    token = export_link_token(request=request)
    settings.COMPLIANCE_EXPORT_LINK_DAYS = -1

    response = Client(HTTP_HOST="tenant-a.localhost", HTTP_ACCEPT_LANGUAGE="en").get(
        f"/privacy/exports/{token}"
    )

    assert response.status_code == 404
    assert "expired" in response.text


def test_erasing_a_buyer_leaves_no_copy_in_any_table(stores):
    tenant_a, _ = stores
    request = request_for(
        tenant_a, RequestScope.BUYER, RequestKind.ERASURE, subject_ml_user_id=BUYER
    )

    changed = subject_erase(request=request)

    assert {label: rows for label, rows in changed.items() if rows} == {
        "mercadolivre.MLOrder": 1,
        "mercadolivre.MLQuestion": 1,
        "compliance.ErasedSubject": 1,  # kept: the suppression list entry
    }
    leftovers = scan(
        ["COMPRADOR_ZEBEDEU", "Zebedeu", f"0100{BUYER}", BUYER], ["public", "tenant-a"]
    )
    assert [c for c in leftovers if c[0] not in EXEMPT_COLUMNS] == []
    with tenant_context(tenant_a):
        order = MLOrder.objects.get(id=2000000000)  # kept: a fiscal record, anonymized
        assert (order.buyer_id, order.buyer_nickname, order.total_cents) == (None, "", 5000)
        assert order.raw["order_items"][0]["item"]["title"] == "Caneca"
        assert MLOrder.objects.filter(buyer_id=OTHER_BUYER).exists()
    # The other store is another controller: its copy is untouched.
    assert scan(["COMPRADOR_ZEBEDEU"], ["tenant-b"])


def co_owner(tenant, email: str) -> None:
    with tenant_context(tenant):
        User.objects.create_user(email, None, role="owner")


def test_erasing_the_owner_leaves_no_copy_of_their_email(stores):
    tenant_a, _ = stores
    co_owner(tenant_a, "socia@a.example.com")  # the store keeps an owner
    email = tenant_a.owner_email
    request = request_for(
        tenant_a, RequestScope.SELLER_USER, RequestKind.ERASURE, subject_email=email
    )

    subject_erase(request=request)

    # LOJA_A is the seller's ML nickname: on the account, the routing row and inside ML's copy
    # of every order.
    leftovers = scan([email, "Navegador-A", "203.0.113.1", "LOJA_A"], ["public", "tenant-a"])
    assert [c for c in leftovers if c[0] not in EXEMPT_COLUMNS] == []
    with tenant_context(tenant_a):  # the buyer's part of the order is the store's record
        assert MLOrder.objects.get(id=2000000000).raw["buyer"]["nickname"] == "COMPRADOR_ZEBEDEU"
    tenant_a.refresh_from_db()
    assert tenant_a.owner_email == "socia@a.example.com"  # the store's contact passes on
    assert scan(["owner@b.example.com", "LOJA_B"], ["public", "tenant-b"])  # B untouched


def test_erasing_the_only_owner_of_an_open_store_is_refused_pointing_to_closing_it(stores):
    tenant_a, _ = stores
    request = request_for(
        tenant_a,
        RequestScope.SELLER_USER,
        RequestKind.ERASURE,
        subject_email=tenant_a.owner_email,
    )

    with pytest.raises(ErasureRefused, match=r"only owner.*Close the store"):
        subject_erase(request=request)

    assert not ErasureStep.objects.filter(request=request).exists()
    with tenant_context(tenant_a):
        assert User.objects.filter(email=tenant_a.owner_email).exists()


def test_the_only_owner_of_a_closed_store_can_be_erased(stores):
    tenant_a, _ = stores
    email = tenant_a.owner_email
    tenant_set_status(tenant=tenant_a, status=TenantStatus.CLOSED)
    tenant_a.refresh_from_db()
    request = request_for(
        tenant_a, RequestScope.SELLER_USER, RequestKind.ERASURE, subject_email=email
    )

    subject_erase(request=request)

    with tenant_context(tenant_a):
        assert not User.objects.filter(email=email).exists()


def test_staff_erasing_the_only_owner_see_why_and_what_to_do(stores, staff_client):
    tenant_a, _ = stores
    request = request_for(
        tenant_a,
        RequestScope.SELLER_USER,
        RequestKind.ERASURE,
        subject_email=tenant_a.owner_email,
    )
    request.identity = "verified"
    request.save()

    page = staff_client.post(
        "/admin/compliance/datasubjectrequest/",
        {"action": "erase_data", "_selected_action": [request.pk]},
        follow=True,
    )

    assert "not erased" in page.text
    assert "Close the store instead" in page.text
    request.refresh_from_db()
    assert request.status == "received"


def test_an_owners_erasure_reaches_stripe_events_no_store_claims(stores):
    tenant_a, _ = stores
    co_owner(tenant_a, "socia@a.example.com")
    email = tenant_a.owner_email
    # Late events Stripe sent after the customer lost its store link, and one that only names
    # the e-mail (a checkout before the customer row existed).
    StripeEvent.objects.create(
        event_id="evt_orphan_customer",
        type="customer.updated",
        tenant=None,
        payload={"data": {"object": {"id": "cus_A", "object": "customer", "email": email}}},
    )
    StripeEvent.objects.create(
        event_id="evt_orphan_invoice",
        type="invoice.paid",
        tenant=None,
        payload={"data": {"object": {"customer": "cus_A", "customer_name": "Dona da Loja A"}}},
    )
    StripeEvent.objects.create(
        event_id="evt_orphan_email",
        type="checkout.session.completed",
        tenant=None,
        payload={"data": {"object": {"customer_details": {"email": email}}}},
    )
    request = request_for(
        tenant_a, RequestScope.SELLER_USER, RequestKind.ERASURE, subject_email=email
    )

    subject_erase(request=request)

    left = scan([email, "Dona da Loja A"], ["public"])
    assert [c for c in left if c[0].startswith("public.billing_stripeevent")] == []
    assert (
        StripeEvent.objects.get(event_id="evt_orphan_invoice").payload["data"]["object"]["customer"]
        == "cus_A"
    )  # the ledger keeps what it needs


def test_an_owners_erasure_reaches_the_admin_history_naming_them(stores, staff_client):
    tenant_a, _ = stores
    co_owner(tenant_a, "socia@a.example.com")
    email = tenant_a.owner_email
    agreement = SignupAgreement.objects.get(tenant=tenant_a)
    LogEntry.objects.create(
        user=User.objects.filter(is_superuser=True).first(),
        content_type=ContentType.objects.get_for_model(SignupAgreement),
        object_id=str(agreement.pk),
        object_repr=str(agreement),
        action_flag=CHANGE,
        change_message="Changed user agent.",
    )
    assert LogEntry.objects.filter(object_repr__icontains=email).exists()
    request = request_for(
        tenant_a, RequestScope.SELLER_USER, RequestKind.ERASURE, subject_email=email
    )

    subject_erase(request=request)

    assert [c for c in scan([email], ["public"]) if c[0].startswith("public.django_admin")] == []
    assert LogEntry.objects.filter(object_id=str(agreement.pk)).exists()  # the history stays


def test_a_buyers_erasure_takes_their_questions_out_of_sync_cursors(stores):
    tenant_a, _ = stores
    mine, other = 3000000000, 3000000001
    with tenant_context(tenant_a):
        run = SyncRun.objects.create(
            kind="initial",
            status="failed",
            cursor={"questions": {"offset": 2, "listed": [mine, other]}},
        )
    request = request_for(
        tenant_a, RequestScope.BUYER, RequestKind.ERASURE, subject_ml_user_id=BUYER
    )

    subject_erase(request=request)

    with tenant_context(tenant_a):
        run.refresh_from_db()
        assert run.cursor["questions"] == {"offset": 2, "listed": [other]}
        assert not MLQuestion.objects.filter(pk=mine).exists()


def test_an_erasure_stopped_halfway_resumes_without_redoing_steps(stores):
    tenant_a, _ = stores
    request = request_for(
        tenant_a, RequestScope.BUYER, RequestKind.ERASURE, subject_ml_user_id=BUYER
    )
    first = next(d for d in declarations() if d.label == "mercadolivre.MLOrder")
    _step(request, first, record=True)  # the run died after its first model

    rest = subject_erase(request=request)

    assert "mercadolivre.MLOrder" not in rest
    assert rest["mercadolivre.MLQuestion"] == 1
    assert rest["compliance.ErasedSubject"] == 1  # kept: the suppression list entry
    assert set(
        ErasureStep.objects.filter(request=request).values_list("model_label", flat=True)
    ) == {d.label for d in declarations() if SubjectKind.BUYER in d.subjects}
    assert subject_erase(request=request) == {}


def test_an_erasure_is_replayed_after_a_restore(stores):
    tenant_a, _ = stores
    request = request_for(
        tenant_a, RequestScope.BUYER, RequestKind.ERASURE, subject_ml_user_id=BUYER
    )
    subject_erase(request=request)
    with tenant_context(tenant_a):  # a backup from before the erasure is restored
        MLOrder.objects.filter(id=2000000000).update(
            buyer_id=BUYER,
            buyer_nickname="COMPRADOR_ZEBEDEU",
            raw=order_raw(2000000000, BUYER, "Zebedeu", "COMPRADOR_ZEBEDEU"),
        )

    replayed = erasure_replay(request=request)

    assert replayed["mercadolivre.MLOrder"] == 1
    assert [
        c for c in scan(["COMPRADOR_ZEBEDEU"], ["tenant-a"]) if c[0] not in EXEMPT_COLUMNS
    ] == []


def test_a_big_store_exports_in_bounded_memory(tenant_a):
    import tracemalloc

    with tenant_context(tenant_a):
        MLOrder.objects.bulk_create(
            MLOrder(
                id=4000000000 + i,
                status="paid",
                date_created=NOW,
                last_updated=NOW,
                total_cents=100,
                currency="BRL",
                buyer_id=BUYER,
                buyer_nickname="GRANDE",
                items=[],
                payments=[],
                raw=order_raw(4000000000 + i, BUYER, "Grande", "GRANDE"),
                synced_at=timezone.now(),
            )
            for i in range(20_000)
        )
    request = request_for(
        tenant_a, RequestScope.BUYER, RequestKind.ACCESS, subject_ml_user_id=BUYER
    )

    tracemalloc.start()
    done = subject_export(request=request)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert {m["model"]: m["rows"] for m in done.manifest["models"]}[
        "mercadolivre.MLOrder"
    ] == 20_000
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_staff_export_and_erase_from_admin(stores, staff_client):
    tenant_a, _ = stores
    access = request_for(tenant_a, RequestScope.BUYER, RequestKind.ACCESS, subject_ml_user_id=BUYER)
    access.identity = "verified"
    access.save()
    erasure = request_for(
        tenant_a, RequestScope.BUYER, RequestKind.ERASURE, subject_ml_user_id=BUYER
    )

    listing = staff_client.get("/admin/compliance/datasubjectrequest/")
    staff_client.post(
        "/admin/compliance/datasubjectrequest/",
        {"action": "export_data", "_selected_action": [access.pk]},
    )
    refused = staff_client.post(
        "/admin/compliance/datasubjectrequest/",
        {"action": "erase_data", "_selected_action": [erasure.pk]},
        follow=True,
    )
    erasure.identity = "verified"
    erasure.save()
    staff_client.post(
        "/admin/compliance/datasubjectrequest/",
        {"action": "erase_data", "_selected_action": [erasure.pk]},
    )

    assert listing.status_code == 200
    assert "faltam 15 dias" in listing.text  # staff read pt-BR by default
    access.refresh_from_db()
    # Exported, then withdrawn: the buyer's erasure ends the earlier disclosure.
    assert (access.export_path, access.status) == ("", "in_progress")
    assert access.export_withdrawn_at is not None
    assert "only verified erasure requests" in refused.text
    erasure.refresh_from_db()
    assert erasure.status == "completed"
    with tenant_context(tenant_a):
        assert not MLOrder.objects.filter(buyer_id=BUYER).exists()


def test_a_subject_we_know_nothing_about_gets_an_export_saying_so(stores):
    tenant_a, _ = stores
    request = request_for(
        tenant_a, RequestScope.BUYER, RequestKind.ACCESS, subject_ml_user_id=424242
    )

    done = subject_export(request=request)

    assert done.manifest["found"] is False
    assert all(m["rows"] == 0 for m in done.manifest["models"])


def test_the_replay_command_reapplies_erasures(stores, capsys):
    from django.core.management import call_command

    tenant_a, _ = stores
    request = request_for(
        tenant_a, RequestScope.BUYER, RequestKind.ERASURE, subject_ml_user_id=BUYER
    )
    subject_erase(request=request)
    with tenant_context(tenant_a):
        MLOrder.objects.filter(id=2000000000).update(buyer_id=BUYER, buyer_nickname="DE VOLTA")

    call_command("erasure_replay")

    assert "1 erasure(s) replayed" in capsys.readouterr().out
    with tenant_context(tenant_a):
        assert not MLOrder.objects.filter(buyer_nickname="DE VOLTA").exists()
