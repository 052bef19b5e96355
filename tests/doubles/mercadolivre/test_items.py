"""Sandbox items: the seller's search (offset, limits, scan), single item and multiget."""

import time
from datetime import datetime

import httpx

from doubles.mercadolivre import SandboxConfig, SandboxServer
from tests.doubles.mercadolivre.flows import FORBIDDEN, bearer, tokens_for


def _search(api, tokens, seller_id, **params):
    return api.get(f"/users/{seller_id}/items/search", params=params, headers=bearer(tokens))


def test_items_search_pages_with_offset_and_limit(api, tokens_a, seller_a):
    first = _search(api, tokens_a, seller_a).json()

    assert first["seller_id"] == str(seller_a)
    assert first["query"] is None
    assert first["paging"] == {"limit": 50, "offset": 0, "total": 120}
    assert len(first["results"]) == 50
    assert first["orders"][0]["id"] == "stop_time_asc"
    assert first["available_orders"]
    pages = [_search(api, tokens_a, seller_a, offset=o, limit=50).json() for o in (0, 50, 100)]
    ids = [item_id for page in pages for item_id in page["results"]]
    assert len(ids) == len(set(ids)) == 120
    assert all(item_id.startswith("MLB") and len(item_id) == 13 for item_id in ids)


def test_items_search_limits(api, tokens_a, seller_a):
    too_big = _search(api, tokens_a, seller_a, limit=101)
    past_ceiling = _search(api, tokens_a, seller_a, offset=990, limit=20)

    assert too_big.status_code == 400
    assert past_ceiling.status_code == 400
    assert "search_type=scan" in past_ceiling.json()["message"]
    assert _search(api, tokens_a, seller_a, offset=950, limit=50).status_code == 200


def test_items_search_filters_and_sorts(api, tokens_a, seller_a, sandbox_server):
    items = [i for i in sandbox_server.state.dataset.items.values() if i.seller_id == seller_a]
    paused = {i.id for i in items if i.status == "paused"}
    with_sku = next(i for i in items if i.sku)

    by_status = _search(api, tokens_a, seller_a, status="paused", limit=100).json()
    by_sku = _search(api, tokens_a, seller_a, sku=with_sku.sku).json()
    by_seller_sku = _search(api, tokens_a, seller_a, seller_sku=with_sku.sku).json()
    newest = _search(api, tokens_a, seller_a, orders="last_updated_desc", limit=100).json()

    assert set(by_status["results"]) == paused
    assert by_sku["results"] == by_seller_sku["results"] == [with_sku.id]
    updated = [sandbox_server.state.dataset.items[i].last_updated for i in newest["results"]]
    assert updated == sorted(updated, reverse=True)
    assert newest["orders"] == [
        {"id": "last_updated_desc", "name": "Order by last updated descending"}
    ]


def test_items_scan_follows_scroll_id_to_the_end(api, tokens_a, seller_a):
    page = _search(api, tokens_a, seller_a, search_type="scan", limit=50).json()
    seen = list(page["results"])
    while page["scroll_id"] is not None:
        page = _search(
            api, tokens_a, seller_a, search_type="scan", scroll_id=page["scroll_id"], limit=50
        ).json()
        seen += page["results"] or []

    # items-y-busquedas: "Cuando llegues al final recibirás null".
    assert "results" in page
    assert page["results"] is None
    assert len(seen) == len(set(seen)) == 120


def test_scan_refuses_offset_and_unknown_scrolls(api, tokens_a, seller_a):
    mixed = _search(api, tokens_a, seller_a, search_type="scan", offset=0)
    unknown = _search(api, tokens_a, seller_a, search_type="scan", scroll_id="nope")

    assert mixed.status_code == 400
    assert unknown.status_code == 400


def test_another_sellers_items_are_403(api, tokens_a, seller_b, sandbox_server):
    theirs = next(i for i in sandbox_server.state.dataset.items.values() if i.seller_id == seller_b)

    item = api.get(f"/items/{theirs.id}", headers=bearer(tokens_a))
    search = _search(api, tokens_a, seller_b)

    assert item.status_code == 403
    assert item.json() == FORBIDDEN
    assert search.status_code == 403
    assert api.get("/items/MLB0000000001", headers=bearer(tokens_a)).status_code == 404


def test_item_shape_and_attributes_projection(api, tokens_a, seller_a):
    item_id = _search(api, tokens_a, seller_a).json()["results"][0]

    item = api.get(f"/items/{item_id}", headers=bearer(tokens_a)).json()
    projected = api.get(
        f"/items/{item_id}", params={"attributes": "id,price,status"}, headers=bearer(tokens_a)
    ).json()

    assert item["id"] == item_id
    assert item["seller_id"] == seller_a
    assert item["currency_id"] == "BRL"
    assert item["site_id"] == "MLB"
    assert round(item["price"], 2) == item["price"]
    datetime.fromisoformat(item["last_updated"])
    assert projected == {"id": item_id, "price": item["price"], "status": item["status"]}


def test_multiget_keeps_order_and_reports_each_id(
    api, tokens_a, seller_a, seller_b, sandbox_server
):
    mine = _search(api, tokens_a, seller_a, limit=2).json()["results"]
    theirs = next(
        i.id for i in sandbox_server.state.dataset.items.values() if i.seller_id == seller_b
    )
    ids = [mine[0], "MLB0000000001", theirs, mine[1]]

    response = api.get(
        "/items", params={"ids": ",".join(ids), "attributes": "id,title"}, headers=bearer(tokens_a)
    )

    entries = response.json()
    assert [e["code"] for e in entries] == [200, 404, 403, 200]
    assert entries[0]["body"]["id"] == mine[0]
    assert set(entries[0]["body"]) == {"id", "title"}
    assert entries[1]["body"]["error"] == "not_found"
    assert entries[2]["body"] == FORBIDDEN
    assert entries[3]["body"]["id"] == mine[1]


def test_multiget_refuses_more_than_20_ids(api, tokens_a, seller_a):
    ids = _search(api, tokens_a, seller_a, limit=21).json()["results"]

    response = api.get("/items", params={"ids": ",".join(ids)}, headers=bearer(tokens_a))

    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_a_scroll_expires():
    config = SandboxConfig(sellers=1, items=5, orders=1, questions=1, scroll_ttl=0.05)
    with SandboxServer(config) as server, httpx.Client(base_url=server.url) as client:
        seller_id = server.state.sellers[0].id
        tokens = tokens_for(client, seller_id)
        first = _search(client, tokens, seller_id, search_type="scan", limit=2).json()
        time.sleep(0.1)
        expired = _search(
            client, tokens, seller_id, search_type="scan", scroll_id=first["scroll_id"]
        )

    assert first["results"]
    assert expired.status_code == 400
    assert expired.json()["error"] == "invalid_scroll_id"
