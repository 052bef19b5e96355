"""Every dashboard page renders store A's rows and none of store B's."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from integrations.models import MLNotification
from tests.dashboard.support import account_connect, items_seed, orders_seed, questions_seed
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db


def seed(tenant, marker: str, *, ml_user_id: int, first_id: int) -> None:
    account_connect(tenant, ml_user_id=ml_user_id)
    items = items_seed(tenant, 3, prefix=marker)
    orders_seed(tenant, 3, first_id=first_id, nickname=f"BUYER{marker}")
    questions_seed(tenant, 2, first_id=first_id, text=f"PERGUNTA{marker}", item_id=items[0].pk)
    MLNotification.objects.create(
        dedup_key=f"dedup-{marker}",
        topic="orders_v2",
        resource=f"/orders/{first_id}",
        ml_user_id=ml_user_id,
        application_id="1",
        payload={},
        status="processed",
    )


@pytest.fixture
def stores(tenant_a, tenant_b):
    seed(tenant_a, "AAA", ml_user_id=111, first_id=1_000_000)
    seed(tenant_b, "BBB", ml_user_id=222, first_id=2_000_000)
    return tenant_a, tenant_b


PAGES = ["/", "/products/", "/orders/", "/questions/", "/sync/", "/sync/progress"]


@pytest.mark.parametrize("path", PAGES)
def test_page_shows_this_stores_rows_only(stores, path):
    tenant_a, _tenant_b = stores
    response = store_client(tenant_a, login=True).get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert "BBB" not in html
    assert "2000000" not in html
    if path == "/products/":
        assert "AAA produto" in html
    if path == "/orders/":
        assert "BUYERAAA" in html
    if path == "/questions/":
        assert "PERGUNTAAAA" in html
    if path == "/sync/":
        assert "/orders/1000000" in html


def test_detail_pages_of_the_other_store_are_not_found(stores):
    tenant_a, tenant_b = stores
    client = store_client(tenant_a, login=True)
    with tenant_context(tenant_b):
        from integrations.mercadolivre.models import MLItem

        other_item = MLItem.objects.first()
    assert client.get(f"/products/{other_item.pk}/").status_code == 404
    assert client.get("/orders/2000000/").status_code == 404
    assert client.post("/questions/2000000/answer", {"text": "oi"}).status_code == 404


def test_detail_pages_show_the_item_and_the_order(stores):
    tenant_a, _ = stores
    client = store_client(tenant_a, login=True)

    item = client.get("/products/MLBAAA0000000/")
    order = client.get("/orders/1000000/")

    assert item.status_code == 200
    assert 'href="https://produto.mercadolivre.com.br/MLB-AAA0"' in item.content.decode()
    assert order.status_code == 200
    html = order.content.decode()
    assert "BUYERAAA" in html
    assert "900000" in html
    assert "BUYERAAA item" in html


def test_pages_need_a_login(tenant_a):
    for path in PAGES:
        response = store_client(tenant_a).get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("path", ["/", "/products/", "/orders/", "/questions/", "/sync/"])
def test_without_an_ml_account_each_page_says_connect_mercado_livre(tenant_a, path):
    response = store_client(tenant_a, login=True).get(path)

    assert response.status_code == 200
    html = response.content.decode()
    # The overview starts the connection itself; the other pages lead to the settings page.
    if path == "/":
        assert 'action="/settings/mercado-livre/connect"' in html
    else:
        assert 'href="/settings/mercado-livre/"' in html
    assert "Conectar Mercado Livre" in html


def test_the_shell_has_a_skip_link_labelled_language_switch_and_the_nav(tenant_a):
    html = store_client(tenant_a, login=True).get("/").content.decode()

    assert 'href="#content"' in html
    assert 'id="content"' in html
    assert '<label for="language-select"' in html
    for path in [
        "/products/",
        "/orders/",
        "/questions/",
        "/sync/",
        "/billing/",
        "/privacy/",
        "/team/",
        "/settings/",
    ]:
        assert f'href="{path}"' in html
    assert 'href="/" aria-current="page"' in html
    assert "htmx-2.min.js" in html
