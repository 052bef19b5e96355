"""The store list: its columns and filters, search, and the status actions."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django_tenants.utils import schema_exists

from billing.models import SubscriptionMirror, SubscriptionStatus
from compliance.audit.models import AuditAction, AuditEvent
from compliance.retention.models import StoreOffboarding
from integrations.models import MLConnection, MLConnectionStatus
from tenants.models import Tenant, TenantStatus
from tenants.services import tenant_create
from tests.staff_admin import rows
from tests.support.clients import staff_client as make_staff_client
from tests.support.db import OWNER_PASSWORD, store_requests_delete

LIST = "/admin/tenants/tenant/"


def listed(client, query: str = "") -> list[str]:
    response = client.get(f"{LIST}{query}")
    assert response.status_code == 200
    return sorted(t.schema_name for t in response.context["cl"].result_list)


def act(client, action: str, *stores: Tenant, **extra: str):
    return client.post(
        LIST, {"action": action, "_selected_action": [s.pk for s in stores], **extra}, follow=True
    )


def test_the_list_shows_subscription_and_ml_connection_per_store(staff_client, tenant_a):
    paid, bare = rows.stores(2)

    cl = staff_client.get(f"{LIST}?q=Bulk").context["cl"]
    by_slug = {t.schema_name: t for t in cl.result_list}

    assert by_slug[paid.schema_name].subscription_status == SubscriptionStatus.ACTIVE
    assert by_slug[paid.schema_name].ml_connection_status == MLConnectionStatus.ACTIVE
    assert by_slug[bare.schema_name].subscription_status is None
    assert by_slug[bare.schema_name].ml_connection_status is None
    body = staff_client.get(f"{LIST}?q=Bulk").content.decode()
    assert "Not connected" in body


def test_the_subscription_and_ml_columns_sort(staff_client):
    paid, bare = rows.stores(2)

    up = listed_in_order(staff_client, "?q=Bulk&o=5")
    down = listed_in_order(staff_client, "?q=Bulk&o=-5")

    assert up == [paid.schema_name, bare.schema_name]  # NULLs (no subscription) last
    assert down == [bare.schema_name, paid.schema_name]


def listed_in_order(client, query: str) -> list[str]:
    return [t.schema_name for t in client.get(f"{LIST}{query}").context["cl"].result_list]


def test_a_store_with_any_ml_account_to_reconnect_shows_that(staff_client, tenant_a):
    _fine, broken = rows.ml_connections(2, tenant=tenant_a)
    MLConnection.objects.filter(pk=broken.pk).update(status=MLConnectionStatus.NEEDS_RECONNECTION)

    cl = staff_client.get(f"{LIST}?q=tenant-a").context["cl"]

    assert [t.ml_connection_status for t in cl.result_list] == ["needs_reconnection"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status__exact=suspended", ["bulk-suspended"]),
        ("?plan_code=pro", ["bulk-pro"]),
        ("?subscription=past_due", ["bulk-past-due"]),
        ("?ml_connection=needs_reconnection", ["bulk-reconnect"]),
    ],
)
def test_filters(staff_client, query, expected):
    suspended, pro, past_due, reconnect = rows.stores(4)
    for tenant, slug in (
        (suspended, "bulk-suspended"),
        (pro, "bulk-pro"),
        (past_due, "bulk-past-due"),
        (reconnect, "bulk-reconnect"),
    ):
        Tenant.objects.filter(pk=tenant.pk).update(schema_name=slug)
    Tenant.objects.filter(pk=suspended.pk).update(status=TenantStatus.SUSPENDED)
    Tenant.objects.filter(pk=pro.pk).update(plan_code="pro")
    SubscriptionMirror.objects.filter(tenant=past_due).update(status=SubscriptionStatus.PAST_DUE)
    MLConnection.objects.create(
        ml_user_id=777,
        tenant=reconnect,
        status=MLConnectionStatus.NEEDS_RECONNECTION,
        connected_at=past_due.created_at,
    )

    assert [s for s in listed(staff_client, query) if s.startswith("bulk-")] == expected


def test_stores_without_subscription_or_connection_filter(staff_client, tenant_a):
    with_both, without = rows.stores(2)

    unpaid = listed(staff_client, "?subscription=none")
    unconnected = listed(staff_client, "?ml_connection=none")

    assert without.schema_name in unpaid
    assert with_both.schema_name not in unpaid
    assert without.schema_name in unconnected
    assert with_both.schema_name not in unconnected
    assert "tenant-a" in unpaid


@pytest.mark.parametrize(
    "term",
    ['"Store A"', "tenant-a", "owner@a.example", "OWNER@A.EXAMPLE.COM", "public_id", "4242"],
)
def test_search_by_name_slug_email_uuid_or_ml_user_id(staff_client, tenant_a, term):
    Tenant.objects.filter(pk=tenant_a.pk).update(ml_user_id=4242)
    if term == "public_id":
        term = str(tenant_a.public_id)

    assert listed(staff_client, f"?q={term}") == ["tenant-a"]


def test_search_with_nothing_matching_is_empty_not_an_error(staff_client):
    assert listed(staff_client, "?q=no-such-store-anywhere") == []
    assert listed(staff_client, "?q=99999999999999999999999") == []


def test_suspend_and_reactivate_call_the_service_and_leave_a_trail(staff_client, tenant_a):
    suspended = act(staff_client, "suspend", tenant_a)

    tenant_a.refresh_from_db()
    assert tenant_a.status == TenantStatus.SUSPENDED
    assert "Suspended 1 store(s)." in [str(m) for m in suspended.context["messages"]]
    act(staff_client, "reactivate", tenant_a)
    tenant_a.refresh_from_db()
    assert tenant_a.status == TenantStatus.ACTIVE
    trail = LogEntry.objects.filter(object_id=str(tenant_a.pk)).order_by("pk")
    assert [entry.change_message for entry in trail] == [
        "Status set to suspended from the store list.",
        "Status set to active from the store list.",
    ]
    audit = AuditEvent.objects.filter(
        action=AuditAction.TENANT_STATUS_CHANGED, tenant=tenant_a
    ).order_by("pk")
    assert [(e.actor_kind, e.details["from"], e.details["to"]) for e in audit] == [
        ("staff", "active", "suspended"),
        ("staff", "suspended", "active"),
    ]
    assert all(e.actor_email for e in audit)


def test_the_public_tenant_is_never_suspended(staff_client):
    public = Tenant.objects.get(schema_name="public")

    done = act(staff_client, "suspend", public)

    public.refresh_from_db()
    assert public.status == TenantStatus.ACTIVE
    assert "The public tenant was left as it is." in [str(m) for m in done.context["messages"]]


def test_close_asks_for_confirmation_first(staff_client, tenant_a):
    asked = act(staff_client, "close", tenant_a)

    tenant_a.refresh_from_db()
    assert tenant_a.status == TenantStatus.ACTIVE
    assert asked.templates[0].name == "admin/tenants/tenant/close_confirmation.html"
    assert b"Offboard now as well" in asked.content

    act(staff_client, "close", tenant_a, confirmed="yes")

    tenant_a.refresh_from_db()
    assert tenant_a.status == TenantStatus.CLOSED
    assert schema_exists("tenant-a")  # kept until offboarded
    assert not StoreOffboarding.objects.exists()


@pytest.fixture
def closing_store(committed_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    tenant = tenant_create(
        name="Closing",
        slug="closing-now",
        owner_email="owner@closing.example.com",
        owner_password=OWNER_PASSWORD,
        plan_code="starter",
        terms_accepted=True,
        channel="command",
    ).tenant
    yield tenant
    # The offboarding's requests protect the store row from database_reset's delete.
    store_requests_delete(tenant=tenant)


def test_close_and_offboard_now_exports_tells_the_owner_and_drops_the_schema(closing_store):
    client = make_staff_client()

    done = act(client, "close", closing_store, confirmed="yes", offboard="yes")

    closing_store.refresh_from_db()
    assert closing_store.status == TenantStatus.CLOSED
    offboarding = StoreOffboarding.objects.get(tenant=closing_store)
    assert offboarding.exported_at is not None
    assert offboarding.notified_at is not None
    assert offboarding.schema_dropped_at is not None
    assert not schema_exists("closing-now")
    assert [m.to for m in mail.outbox][-1] == ["owner@closing.example.com"]
    assert "closing-now: offboarded." in [str(m) for m in done.context["messages"]]


def test_a_store_without_a_schema_still_has_a_page(staff_client):
    [store] = rows.stores(1)

    page = staff_client.get(f"{LIST}{store.pk}/change/")

    assert page.status_code == 200
    assert b"No sync yet" in page.content
