"""Every API route, called as another store: nothing of store A is ever visible from store B.

Routes come from the router itself, so a new endpoint is covered without editing this file.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from api.urls import router
from compliance.models import DataSubjectRequest, RequestKind, RequestScope
from integrations.mercadolivre.models import SyncKind, SyncRun
from integrations.models import MLConnection
from tenants.models import Tenant
from tests.api.conftest import api_client, make_items, make_orders, make_questions
from tests.factories.inbox import ml_notification
from tests.support.ml import account_add
from users.models import User

pytestmark = pytest.mark.django_db

LIST_ROUTES = [f"/api/v1/{prefix}/" for prefix, _, _ in router.registry]


def _seed_store_a(tenant_a: Tenant) -> dict[str, object]:
    """One row of every kind for store A; the id of each, by route prefix."""
    Tenant.objects.filter(pk=tenant_a.pk).update(ml_user_id=111)
    MLConnection.objects.create(ml_user_id=111, tenant=tenant_a, connected_at=timezone.now())
    account_add(tenant_a, ml_user_id=111)
    notification = ml_notification(
        dedup_key="a-1", resource="/orders/1", ml_user_id=111, payload={}, tenant=tenant_a
    )
    notification.save(force_insert=True)
    request = DataSubjectRequest.objects.create(
        tenant=tenant_a,
        scope=RequestScope.SELLER_USER,
        kind=RequestKind.ACCESS,
        subject_email="owner@a.example.com",
        channel="test",
        received_at=timezone.now(),
        due_at=timezone.now(),
    )
    with tenant_context(tenant_a):
        run = SyncRun.objects.create(kind=SyncKind.INITIAL, status="succeeded")
        # A second user: store B's owner has the first id of its own schema.
        clerk = User.objects.create_user("clerk@a.example.com", "x-long-password-1")
    return {
        "team": clerk.pk,
        "items": make_items(tenant_a, 1)[0],
        "orders": make_orders(tenant_a, 1)[0],
        "questions": make_questions(tenant_a, 1)[0],
        "sync-runs": run.pk,
        "webhook-events": notification.pk,
        "privacy-requests": request.pk,
    }


def test_every_registered_route_is_covered():
    assert {prefix for prefix, _, _ in router.registry} == {
        "team",
        "items",
        "orders",
        "questions",
        "sync-runs",
        "webhook-events",
        "privacy-requests",
    }


@pytest.mark.parametrize("path", [*LIST_ROUTES, "/api/v1/subscription/", "/api/v1/overview/"])
def test_a_token_of_store_a_is_refused_on_store_bs_host(tenant_a, tenant_b, token_a, path):
    response = api_client(tenant_b, token_a).get(path)
    assert response.status_code in (401, 403)
    assert response.status_code == 401 or path == "/api/v1/team/"


def test_store_b_sees_none_of_store_as_rows(tenant_a, tenant_b, token_a, token_b):
    ids = _seed_store_a(tenant_a)
    client_a, client_b = api_client(tenant_a, token_a), api_client(tenant_b, token_b)
    for prefix, _, _ in router.registry:
        object_id = ids[prefix]
        mine = client_a.get(f"/api/v1/{prefix}/{object_id}/")
        theirs = client_b.get(f"/api/v1/{prefix}/{object_id}/")
        assert mine.status_code == 200, (prefix, mine.content)
        assert theirs.status_code == 404, (prefix, theirs.content)
        listed = client_b.get(f"/api/v1/{prefix}/").json()
        rows = listed if isinstance(listed, list) else listed["results"]
        assert str(object_id) not in {str(row["id"]) for row in rows}, prefix


def notification(key: str, ml_user_id: int, tenant: Tenant | None = None) -> None:
    ml_notification(
        dedup_key=key, resource=f"/orders/{key}", ml_user_id=ml_user_id, payload={}, tenant=tenant
    ).save(force_insert=True)


def test_webhook_events_follow_the_stores_accounts(tenant_a, tenant_b, token_b):
    _seed_store_a(tenant_a)
    # Store B holds two accounts, one of them disconnected (its history stays B's).
    account_add(tenant_b, ml_user_id=222)
    account_add(tenant_b, ml_user_id=333, status="disconnected")
    notification("b-1", 222)
    notification("b-2", 333, tenant_b)
    # Seller 444 was store A's before it became B's: A's history of it is not B's.
    account_add(tenant_b, ml_user_id=444)
    notification("a-444", 444, tenant_a)

    rows = api_client(tenant_b, token_b).get("/api/v1/webhook-events/").json()["results"]

    assert sorted(row["ml_user_id"] for row in rows) == [222, 333]


def test_the_answer_action_is_404_for_another_stores_question(tenant_a, tenant_b, token_b):
    question_id = make_questions(tenant_a, 1)[0]
    response = api_client(tenant_b, token_b).post(
        f"/api/v1/questions/{question_id}/answer/",
        {"text": "Sim."},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_public_host_serves_no_api_route(token_a):
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    for path in [*LIST_ROUTES, "/api/v1/subscription/", "/api/v1/overview/", "/api/schema/"]:
        assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {token_a}").status_code == 404
