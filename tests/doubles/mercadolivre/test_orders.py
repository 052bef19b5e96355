"""Sandbox orders and shipments: shapes, search filters, hour truncation, ownership."""

from datetime import datetime, timedelta, timezone

from tests.doubles.mercadolivre.flows import FORBIDDEN, bearer


def _orders(api, tokens, seller_id, **params):
    return api.get("/orders/search", params={"seller": seller_id, **params}, headers=bearer(tokens))


def test_order_shape(api, tokens_a, seller_a):
    order = _orders(api, tokens_a, seller_a, limit=1).json()["results"][0]

    same = api.get(f"/orders/{order['id']}", headers=bearer(tokens_a)).json()

    assert same == order
    assert order["id"] >= 2000010000000000
    assert order["seller"]["id"] == seller_a
    assert set(order["buyer"]) == {"id", "nickname", "first_name", "last_name"}
    assert order["shipping"]["id"]
    assert order["order_items"][0]["item"]["id"].startswith("MLB")
    datetime.fromisoformat(order["date_last_updated"])


def test_orders_search_wrapper_and_paging(api, tokens_a, seller_a):
    body = _orders(api, tokens_a, seller_a, limit=10, offset=5).json()

    assert set(body) == {
        "query",
        "results",
        "sort",
        "available_sorts",
        "filters",
        "paging",
        "display",
    }
    assert body["paging"] == {"total": 60, "offset": 5, "limit": 10}
    assert body["sort"]["id"] == "date_asc"
    assert body["display"] == "complete"
    assert _orders(api, tokens_a, seller_a, limit=51).status_code == 400
    assert _orders(api, tokens_a, seller_a).json()["paging"]["limit"] == 50


def test_orders_search_of_another_seller_is_403(api, tokens_a, seller_b, sandbox_server):
    theirs = next(
        o for o in sandbox_server.state.dataset.orders.values() if o.seller_id == seller_b
    )

    assert _orders(api, tokens_a, seller_b).status_code == 403
    assert api.get(f"/orders/{theirs.id}", headers=bearer(tokens_a)).json() == FORBIDDEN
    assert api.get("/orders/1", headers=bearer(tokens_a)).status_code == 404


def test_orders_search_filters_by_status_and_sorts(api, tokens_a, seller_a):
    statuses = "paid,cancelled"
    body = _orders(api, tokens_a, seller_a, **{"order.status": statuses, "sort": "date_desc"})
    results = body.json()["results"]

    assert results
    assert {o["status"] for o in results} <= {"paid", "cancelled"}
    dates = [datetime.fromisoformat(o["date_closed"] or o["date_created"]) for o in results]
    assert dates == sorted(dates, reverse=True)


def test_order_date_filters_are_truncated_to_the_hour(api, tokens_a, seller_a, sandbox_server):
    orders = [o for o in sandbox_server.state.dataset.orders.values() if o.seller_id == seller_a]
    order = next(o for o in orders if o.date_last_updated.minute > 0)
    moment = order.date_last_updated
    late_in_hour = moment.replace(minute=59, second=59).isoformat()
    exact_ml_local = moment.astimezone(timezone(timedelta(hours=-4))).isoformat()

    after = _all_ids(api, tokens_a, seller_a, "order.date_last_updated.from", late_in_hour)
    until = _all_ids(api, tokens_a, seller_a, "order.date_last_updated.to", exact_ml_local)

    # from=hh:59 counts from hh:00, so the order (hh:mm) is in; to=hh:mm means up to hh:00: out.
    assert order.id in after
    assert order.id not in until
    hour = moment.replace(minute=0, second=0, microsecond=0)
    assert after == {o.id for o in orders if o.date_last_updated >= hour}
    assert until == {o.id for o in orders if o.date_last_updated <= hour}


def _all_ids(api, tokens, seller_id, name, value):
    ids = set()
    for offset in (0, 50):
        body = _orders(api, tokens, seller_id, **{name: value}, offset=offset).json()
        ids |= {o["id"] for o in body["results"]}
    return ids


def test_order_date_created_window(api, tokens_a, seller_a, sandbox_server):
    orders = [o for o in sandbox_server.state.dataset.orders.values() if o.seller_id == seller_a]
    start = min(o.date_created for o in orders) + timedelta(days=30)
    end = start + timedelta(days=60)
    expected = {
        o.id
        for o in orders
        if start.replace(minute=0, second=0) <= o.date_created <= end.replace(minute=0, second=0)
    }

    body = _orders(
        api,
        tokens_a,
        seller_a,
        **{"order.date_created.from": start.isoformat(), "order.date_created.to": end.isoformat()},
    ).json()

    assert {o["id"] for o in body["results"]} == expected
    bad = _orders(api, tokens_a, seller_a, **{"order.date_created.from": "yesterday"})
    assert bad.status_code == 400


def test_shipments_need_x_format_new(api, tokens_a, seller_a):
    order = _orders(api, tokens_a, seller_a, limit=1).json()["results"][0]
    path = f"/shipments/{order['shipping']['id']}"

    without = api.get(path, headers=bearer(tokens_a))
    with_header = api.get(path, headers={**bearer(tokens_a), "x-format-new": "true"})

    assert without.status_code == 400
    assert "x-format-new" in without.json()["message"]
    shipment = with_header.json()
    assert shipment["id"] == order["shipping"]["id"]
    assert shipment["logistic"]["mode"] == "me2"


def test_buyer_address_is_hidden_until_paid(api, tokens_a, seller_a):
    unpaid = _orders(api, tokens_a, seller_a, **{"order.status": "confirmed"}).json()["results"]
    paid = _orders(api, tokens_a, seller_a, **{"order.status": "paid"}).json()["results"]
    headers = {**bearer(tokens_a), "x-format-new": "true"}

    hidden = api.get(f"/shipments/{unpaid[0]['shipping']['id']}", headers=headers).json()
    shown = api.get(f"/shipments/{paid[0]['shipping']['id']}", headers=headers).json()

    assert hidden["destination"]["shipping_address"] is None
    assert shown["destination"]["shipping_address"]["zip_code"]
