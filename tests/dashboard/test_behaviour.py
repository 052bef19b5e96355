"""Query counts, filters, CSV export, sync now, answering through the sandbox, language, money."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.redis import redis_client, redis_key
from integrations.mercadolivre.models import MLQuestion, SyncKind, SyncRun, SyncStatus
from integrations.mercadolivre.sync import ml_sync_initial
from tenants.models import Tenant
from tests.dashboard.support import account_connect, items_seed, orders_seed, questions_seed
from tests.integrations.support import connect
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/products/",
    "/products/?q=produto&sort=title",
    "/orders/?status=paid",
    "/questions/",
    "/sync/",
]


def queries_for(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("path", PAGES)
def test_query_count_does_not_grow_with_rows(tenant_a, path):
    account_connect(tenant_a, ml_user_id=111)
    items = items_seed(tenant_a, 10, prefix="Q")
    orders_seed(tenant_a, 10, first_id=1, nickname="n")
    questions_seed(tenant_a, 10, first_id=1, text="q", item_id=items[0].pk)
    client = store_client(tenant_a, login=True)
    client.get(path)
    small = queries_for(client, path)

    more = items_seed(tenant_a, 990, prefix="Q", start=10)
    orders_seed(tenant_a, 990, first_id=100, nickname="n")
    questions_seed(tenant_a, 990, first_id=100, text="q", item_id=more[0].pk)
    large = queries_for(client, path)

    assert small == large


def test_products_filter_sort_and_pages_walk_every_row_once(tenant_a):
    account_connect(tenant_a, ml_user_id=111)
    items_seed(tenant_a, 120, prefix="P")
    items_seed(tenant_a, 5, prefix="Z", start=500, title="Caneca azul", available_quantity=0)
    client = store_client(tenant_a, login=True)

    seen, path = [], "/products/?sort=price_asc"
    while path:
        page = client.get(path).context["page"]
        seen += [(item.price_cents, item.pk) for item in page.rows]
        path = f"/products/?sort=price_asc&cursor={page.next_cursor}" if page.next_cursor else ""
    assert len(seen) == 125
    assert seen == sorted(seen)

    found = client.get("/products/?q=caneca&stock=out").context["page"]
    assert {item.title for item in found.rows} == {"Caneca azul"}
    assert found.total == 5


def test_orders_filter_by_status_and_seller_dates(tenant_a):
    account_connect(tenant_a, ml_user_id=111)
    sp = ZoneInfo("America/Sao_Paulo")
    # 23:30 in São Paulo on the 10th is already the 11th in UTC.
    orders_seed(
        tenant_a, 1, first_id=10, nickname="late", created=datetime(2026, 11, 10, 23, 30, tzinfo=sp)
    )
    orders_seed(
        tenant_a, 1, first_id=20, nickname="next", created=datetime(2026, 11, 11, 9, 0, tzinfo=sp)
    )
    orders_seed(
        tenant_a,
        1,
        first_id=30,
        nickname="gone",
        created=datetime(2026, 11, 10, 12, 0, tzinfo=sp),
        status="cancelled",
    )
    client = store_client(tenant_a, login=True)

    page = client.get("/orders/?date_from=2026-11-10&date_to=2026-11-10&status=paid").context[
        "page"
    ]
    assert [order.pk for order in page.rows] == [10]

    bad = client.get("/orders/?date_from=2026-11-11&date_to=2026-11-10")
    assert 'id="id_date_to_errors"' in bad.content.decode()


def test_csv_export_streams_the_filtered_orders(tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(plan_code="pro")
    account_connect(tenant_a, ml_user_id=111)
    orders_seed(tenant_a, 3, first_id=10, nickname="ana", total_cents=123_456)
    orders_seed(tenant_a, 2, first_id=50, nickname="bia", status="cancelled")
    response = store_client(tenant_a, login=True).get("/orders/export.csv?status=paid")

    assert response.status_code == 200
    assert response.streaming
    lines = b"".join(response.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert len(lines) == 4
    assert lines[1].startswith("10,")
    assert "1234.56" in lines[1]
    assert all("bia" not in line for line in lines)


def test_csv_export_is_refused_on_a_plan_without_it(tenant_a):
    account_connect(tenant_a, ml_user_id=111)
    response = store_client(tenant_a, login=True).get("/orders/export.csv")
    assert response.status_code == 302


def test_sync_now_enqueues_then_respects_the_plan_interval(
    tenant_a, django_capture_on_commit_callbacks
):
    account_connect(tenant_a, ml_user_id=111)
    client = store_client(tenant_a, login=True)
    first = client.post("/sync/now", HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    assert 'id="sync-refused"' not in first.content.decode()
    assert 'id="sync-pending"' in first.content.decode()
    double = client.post("/sync/now", HTTP_HX_REQUEST="true")
    assert 'id="sync-refused"' in double.content.decode()
    assert 'hx-trigger="every 2s"' in first.content.decode()

    with tenant_context(tenant_a):
        run = SyncRun.objects.create(kind=SyncKind.INCREMENTAL, status=SyncStatus.SUCCEEDED)
        SyncRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    redis_client().delete(redis_key("tenant", tenant_a.schema_name, "ml", "sync-requested"))
    again = client.post("/sync/now", HTTP_HX_REQUEST="true")
    assert 'id="sync-refused"' in again.content.decode()
    assert "60 minutos" in again.content.decode()

    with tenant_context(tenant_a):
        SyncRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(minutes=61))
    later = client.post("/sync/now", HTTP_HX_REQUEST="true")
    assert 'id="sync-pending"' in later.content.decode()


def test_a_running_sync_is_polled_every_two_seconds(tenant_a):
    account_connect(tenant_a, ml_user_id=111)
    with tenant_context(tenant_a):
        SyncRun.objects.create(
            kind=SyncKind.INITIAL, phase="orders", counts={"orders": 50}, totals={"orders": 200}
        )
    html = store_client(tenant_a, login=True).get("/sync/progress").content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert '<progress max="200" value="50"' in html
    assert "(agora: Pedidos)" in html  # the phase, in the seller's language


def test_portuguese_by_default_english_when_chosen_brl_and_sao_paulo_time(tenant_a):
    account_connect(tenant_a, ml_user_id=111)
    sp = ZoneInfo("America/Sao_Paulo")
    orders_seed(
        tenant_a,
        1,
        first_id=10,
        nickname="ana",
        total_cents=123_456,
        created=datetime(2026, 11, 10, 23, 30, tzinfo=sp),
    )
    client = store_client(tenant_a, login=True)

    pt = client.get("/orders/").content.decode()
    assert "Pedidos" in pt
    assert "R$ 1.234,56" in pt
    assert '<span class="badge badge-paid">Pago</span>' in pt  # ML's status, in Portuguese
    assert "10/11/2026 23:30" in pt

    client.post("/i18n/setlang/", {"language": "en", "next": "/orders/"})
    en = client.get("/orders/").content.decode()
    assert '<html lang="en">' in en
    assert "Export CSV" in en or "CSV export comes with" in en
    assert "R$ 1.234,56" in en
    assert '<span class="badge badge-paid">Paid</span>' in en


@pytest.fixture
def synced(sandbox, tenant_a, settings):
    settings.ML_RATE_LIMIT_PER_MINUTE = settings.ML_SELLER_RATE_LIMIT_PER_MINUTE = 100_000
    connect(sandbox, tenant_a)
    ml_sync_initial(tenant=tenant_a)
    with tenant_context(tenant_a):
        question = MLQuestion.objects.filter(status="UNANSWERED").order_by("id").first()
    assert question is not None
    return tenant_a, question.pk


def test_answering_inline_posts_to_mercado_livre(synced, sandbox):
    tenant, question_id = synced
    response = store_client(tenant, login=True).post(
        f"/questions/{question_id}/answer", {"text": "Sim, temos."}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "Sim, temos." in response.content.decode()
    assert sandbox.server.state.dataset.questions[question_id].answer.text == "Sim, temos."


def test_an_empty_answer_is_refused_next_to_the_field(synced, sandbox):
    tenant, question_id = synced
    html = (
        store_client(tenant, login=True)
        .post(f"/questions/{question_id}/answer", {"text": "   "}, HTTP_HX_REQUEST="true")
        .content.decode()
    )

    assert f'id="id_q{question_id}_text_errors"' in html
    assert "Escreva uma resposta antes de enviar." in html
    assert sandbox.server.state.requests["/answers"] == 0


def test_mercado_livre_down_is_said_next_to_the_field(synced, sandbox):
    tenant, question_id = synced
    sandbox.faults(outage=True)
    client = store_client(tenant, login=True)
    started = time.monotonic()
    html = client.post(
        f"/questions/{question_id}/answer", {"text": "Sim."}, HTTP_HX_REQUEST="true"
    ).content.decode()
    # The seller waits for one quick retry, not the background jobs' backoff.
    assert time.monotonic() - started < 5

    assert "Não foi possível falar com o Mercado Livre" in html
