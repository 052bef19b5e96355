"""Lists: keyset pagination, filters and ordering; query counts that do not grow with rows."""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from compliance.models import DataSubjectRequest, RequestKind, RequestScope
from integrations.mercadolivre.models import MLItem, SyncRun
from integrations.models import MLNotification
from tenants.models import Tenant
from tests.api.conftest import make_items, make_orders, make_questions

pytestmark = pytest.mark.django_db


def walk(client, path):
    """Every row of a list, following ``next``; and the number of pages."""
    rows, pages, url = [], 0, path
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        rows.extend(body["results"])
        pages += 1
        url = body["next"]
    return rows, pages


def test_pages_cover_every_row_once_in_order(tenant_a, client_a):
    make_items(tenant_a, 45)
    rows, pages = walk(client_a, "/api/v1/items/?page_size=10")
    assert pages == 5
    assert len(rows) == 45
    assert len({row["id"] for row in rows}) == 45
    keys = [(row["last_updated"], row["id"]) for row in rows]
    assert keys == sorted(keys, reverse=True)


def test_ties_on_the_ordering_field_are_broken_by_id(tenant_a, client_a):
    make_items(tenant_a, 30, title="Igual")
    rows, _ = walk(client_a, "/api/v1/items/?ordering=title&page_size=7")
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    assert len(rows) == 30


def test_previous_goes_back_to_the_same_page(tenant_a, client_a):
    make_items(tenant_a, 25)
    first = client_a.get("/api/v1/items/?page_size=10").json()
    second = client_a.get(first["next"]).json()
    back = client_a.get(second["previous"]).json()
    assert first["previous"] is None
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]
    third = client_a.get(second["next"]).json()
    assert len(third["results"]) == 5
    assert third["next"] is None


@pytest.mark.parametrize(
    ("ordering", "key"),
    [
        ("price", "price_cents"),
        ("-price", "price_cents"),
        ("sold_quantity", "sold_quantity"),
        ("-available_quantity", "available_quantity"),
        ("title", "title"),
    ],
)
def test_items_order_by_whitelisted_fields(tenant_a, client_a, ordering, key):
    make_items(tenant_a, 12)
    rows, _ = walk(client_a, f"/api/v1/items/?ordering={ordering}&page_size=5")
    values = [(row[key], row["id"]) for row in rows]
    assert values == sorted(values, reverse=ordering.startswith("-"))


def test_an_unknown_ordering_is_400(tenant_a, client_a):
    response = client_a.get("/api/v1/items/?ordering=raw")
    assert response.status_code == 400
    assert "ordering" in response.json()["error"]["details"]["fields"]


@pytest.mark.parametrize("cursor", ["garbage", "eyJvIjoiLXRpdGxlIn0", "e30"])
def test_a_tampered_cursor_is_400(tenant_a, client_a, cursor):
    response = client_a.get(f"/api/v1/items/?cursor={cursor}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_a_cursor_from_another_ordering_is_400(tenant_a, client_a):
    make_items(tenant_a, 5)
    following = client_a.get("/api/v1/items/?page_size=2").json()["next"]
    cursor = following.split("cursor=")[1].split("&")[0]
    response = client_a.get(f"/api/v1/items/?ordering=title&cursor={cursor}")
    assert response.status_code == 400


def test_a_cursor_from_the_same_field_in_the_other_direction_is_400(tenant_a, client_a):
    make_items(tenant_a, 5)
    following = client_a.get("/api/v1/items/?page_size=2").json()["next"]
    cursor = following.split("cursor=")[1].split("&")[0]
    response = client_a.get(f"/api/v1/items/?ordering=last_updated&cursor={cursor}")
    assert response.status_code == 400


def b64(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "payload",
    [
        ["after", "-last_updated", "2026-01-01T10:00:00", "MLB1"],  # naive: never issued
        ["after", "-last_updated", {"x": 1}, "MLB1"],
        ["after", "-last_updated", "9" * 400, "MLB1"],
        ["sideways", "-last_updated", "2026-01-01T10:00:00+00:00", "MLB1"],
        ["after", "-last_updated", "2026-01-01T10:00:00+00:00"],
    ],
)
def test_a_forged_cursor_is_400_not_a_server_error(tenant_a, client_a, payload):
    response = client_a.get(f"/api/v1/items/?cursor={b64(payload)}")
    assert response.status_code == 400


def test_items_filter_by_stock_status_and_search(tenant_a, client_a):
    make_items(tenant_a, 9)  # available_quantity cycles 0, 1, 2
    make_items(tenant_a, 2, start=100, status="paused", title="Camiseta azul")

    def ids(query):
        return {row["id"] for row in walk(client_a, f"/api/v1/items/?{query}")[0]}

    assert ids("stock=out") == {"MLB000000000", "MLB000000003", "MLB000000006", "MLB000000100"}
    with tenant_context(tenant_a):
        in_stock = set(MLItem.objects.filter(available_quantity__gt=0).values_list("id", flat=True))
    assert ids("stock=in") == in_stock
    assert ids("status=paused") == {"MLB000000100", "MLB000000101"}
    assert ids("q=camiseta") == {"MLB000000100", "MLB000000101"}
    assert ids("q=MLB000000003") == {"MLB000000003"}
    assert client_a.get("/api/v1/items/?stock=maybe").status_code == 400


def test_orders_filter_by_status_and_dates(tenant_a, client_a):
    make_orders(tenant_a, 10)  # one an hour from 13:00 on 2026-01-01
    make_orders(tenant_a, 2, start=100, status="cancelled")
    rows, _ = walk(
        client_a,
        "/api/v1/orders/?status=paid&created_after=2026-01-01T15:00:00Z"
        "&created_before=2026-01-01T18:00:00Z",
    )
    assert [row["date_created"] for row in rows] == [
        "2026-01-01T17:00:00Z",
        "2026-01-01T16:00:00Z",
        "2026-01-01T15:00:00Z",
    ]
    assert client_a.get("/api/v1/orders/?created_after=yesterday").status_code == 400


def test_an_order_in_detail_has_its_lines_and_buyer(tenant_a, client_a):
    order_id = make_orders(tenant_a, 1)[0]
    body = client_a.get(f"/api/v1/orders/{order_id}/").json()
    assert body["buyer"] == {"id": 900, "nickname": "COMPRADOR0"}
    assert body["items"][0]["item_id"] == "MLB1"
    assert body["payments"][0]["method"] == "pix"
    listed = client_a.get("/api/v1/orders/").json()["results"][0]
    assert "items" not in listed


def test_questions_filter_answered_and_unanswered(tenant_a, client_a):
    waiting = make_questions(tenant_a, 3)
    answered = make_questions(tenant_a, 2, start=50, status="ANSWERED")
    unanswered_rows, _ = walk(client_a, "/api/v1/questions/?answered=false")
    answered_rows, _ = walk(client_a, "/api/v1/questions/?answered=true")
    assert {row["id"] for row in unanswered_rows} == set(waiting)
    assert {row["id"] for row in answered_rows} == set(answered)


# -- query counts ---------------------------------------------------------------------------


def _seed(tenant: Tenant, rows: int) -> None:
    make_items(tenant, rows)
    make_orders(tenant, rows)
    make_questions(tenant, rows)
    with tenant_context(tenant):
        SyncRun.objects.bulk_create(
            SyncRun(kind="incremental", status="succeeded") for _ in range(rows)
        )
    ml_user_id = 1000 + tenant.pk
    Tenant.objects.filter(pk=tenant.pk).update(ml_user_id=ml_user_id)
    MLNotification.objects.bulk_create(
        MLNotification(
            dedup_key=f"n-{tenant.pk}-{n}",
            topic="orders_v2",
            resource=f"/orders/{n}",
            ml_user_id=ml_user_id,
            application_id="1",
            payload={},
        )
        for n in range(rows)
    )
    now = timezone.now()
    DataSubjectRequest.objects.bulk_create(
        DataSubjectRequest(
            tenant=tenant,
            scope=RequestScope.BUYER,
            kind=RequestKind.ACCESS,
            subject_ml_user_id=n,
            channel="test",
            received_at=now,
            due_at=now,
        )
        for n in range(rows)
    )


LISTS = [
    "/api/v1/items/",
    "/api/v1/items/?q=Produto&stock=in&ordering=title",
    "/api/v1/orders/",
    "/api/v1/orders/?status=paid&created_after=2026-01-01T00:00:00Z",
    "/api/v1/questions/?answered=false",
    "/api/v1/sync-runs/",
    "/api/v1/webhook-events/",
    "/api/v1/privacy-requests/",
]


def _queries(client, path: str) -> tuple[int, int]:
    """Queries of the first page and of the page its ``next`` link leads to."""
    counts = []
    url = path
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, response.content
        counts.append(len(captured))
        url = response.json()["next"] or url
    return counts[0], counts[1]


def test_query_counts_do_not_grow_with_rows(tenant_a, tenant_b, token_a, token_b):
    from tests.api.conftest import api_client

    _seed(tenant_a, 10)
    _seed(tenant_b, 1000)
    small, large = api_client(tenant_a, token_a), api_client(tenant_b, token_b)
    # Warm both: the token's last_used_at and the cached entitlement are written once.
    small.get("/api/v1/items/")
    large.get("/api/v1/items/")
    for path in LISTS:
        paged = f"{path}{'&' if '?' in path else '?'}page_size=5"
        assert _queries(small, paged) == _queries(large, paged), path
