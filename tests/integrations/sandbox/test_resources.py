"""The sandbox's bearer-token resources: users, items, orders, questions, answers, shipments."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.integrations.sandbox.flows import FORBIDDEN, INVALID_TOKEN, admin, bearer

# -- authentication ---------------------------------------------------------------------------


def test_missing_and_unknown_tokens_are_401(api):
    assert api.get("/users/me").json() == INVALID_TOKEN
    response = api.get("/users/me", headers={"Authorization": "Bearer APP_USR-nope"})
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_access_token_query_parameter_is_not_accepted(api, tokens_a):
    response = api.get("/users/me", params={"access_token": tokens_a["access_token"]})

    assert response.status_code == 401


def test_expired_access_token_is_401(api, tokens_a, tokens_b, seller_a):
    assert admin(api, "/_sandbox/expire_tokens", {"seller_id": seller_a}) == {"expired": 1}

    response = api.get("/users/me", headers=bearer(tokens_a))

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    assert api.get("/users/me", headers=bearer(tokens_b)).status_code == 200


# -- users ------------------------------------------------------------------------------------


def test_users_me_has_private_fields(api, tokens_a, seller_a):
    me = api.get("/users/me", headers=bearer(tokens_a)).json()

    assert me["id"] == seller_a
    assert me["country_id"] == "BR"
    assert me["site_id"] == "MLB"
    assert me["email"]
    assert me["first_name"]
    assert me["seller_reputation"]["transactions"]["completed"] >= 0
    assert me["status"]["site_status"] == "active"
    assert api.get(f"/users/{seller_a}", headers=bearer(tokens_a)).json() == me


def test_another_user_shows_only_public_fields(api, tokens_a, seller_b):
    other = api.get(f"/users/{seller_b}", headers=bearer(tokens_a)).json()

    assert other["id"] == seller_b
    assert other["nickname"]
    assert "email" not in other
    assert "first_name" not in other
    assert api.get("/users/123", headers=bearer(tokens_a)).status_code == 404


# -- items ------------------------------------------------------------------------------------


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
        seen += page["results"]

    assert page["results"] == []
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


# -- orders -----------------------------------------------------------------------------------


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


# -- questions and answers --------------------------------------------------------------------


def _questions(api, tokens, **params):
    return api.get("/questions/search", params={"api_version": 4, **params}, headers=bearer(tokens))


def test_questions_search_shape(api, tokens_a, seller_a):
    body = _questions(api, tokens_a, seller_id=seller_a, limit=5).json()

    assert set(body) == {
        "total",
        "limit",
        "questions",
        "filters",
        "available_filters",
        "available_sorts",
    }
    assert body["total"] == 40
    assert body["limit"] == 5
    question = body["questions"][0]
    assert question["seller_id"] == seller_a
    assert question["status"] in {"ANSWERED", "UNANSWERED"}
    assert set(question["from"]) == {"id"}
    assert "last_updated" in question
    answered = next(
        q
        for q in _questions(api, tokens_a, seller_id=seller_a, limit=40).json()["questions"]
        if q["status"] == "ANSWERED"
    )
    assert set(answered["answer"]) == {"text", "status", "date_created"}


def test_questions_search_filters(api, tokens_a, seller_a, seller_b):
    unanswered = _questions(api, tokens_a, seller_id=seller_a, status="UNANSWERED", limit=100)
    everything = _questions(api, tokens_a, seller_id=seller_a, limit=100).json()["questions"]
    item_id = everything[0]["item_id"]
    by_item = _questions(api, tokens_a, item=item_id).json()["questions"]
    oldest_first = _questions(
        api, tokens_a, seller_id=seller_a, sort_fields="date_created", sort_types="ASC", limit=100
    ).json()["questions"]

    assert {q["status"] for q in unanswered.json()["questions"]} == {"UNANSWERED"}
    assert by_item
    assert {q["item_id"] for q in by_item} == {item_id}
    created = [datetime.fromisoformat(q["date_created"]) for q in oldest_first]
    assert created == sorted(created)
    assert _questions(api, tokens_a, seller_id=seller_b).status_code == 403
    assert _questions(api, tokens_a, seller_id=seller_a, limit=101).status_code == 400


def test_question_get(api, tokens_a, tokens_b, seller_a):
    question = _questions(api, tokens_a, seller_id=seller_a, limit=1).json()["questions"][0]

    assert api.get(f"/questions/{question['id']}", headers=bearer(tokens_a)).json() == question
    assert api.get(f"/questions/{question['id']}", headers=bearer(tokens_b)).status_code == 403
    assert api.get("/questions/1", headers=bearer(tokens_a)).status_code == 404


def _unanswered(api, tokens, seller_id):
    body = _questions(api, tokens, seller_id=seller_id, status="UNANSWERED", limit=1).json()
    return body["questions"][0]


def test_answer_sets_the_answer(api, tokens_a, seller_a):
    question = _unanswered(api, tokens_a, seller_a)

    response = api.post(
        "/answers",
        json={"question_id": question["id"], "text": "Sim, temos!"},
        headers=bearer(tokens_a),
    )

    assert response.status_code == 200
    answered = response.json()
    assert answered["status"] == "ANSWERED"
    assert answered["answer"]["text"] == "Sim, temos!"
    assert answered["last_updated"] > question["last_updated"]
    again = api.post(
        "/answers",
        json={"question_id": question["id"], "text": "de novo"},
        headers=bearer(tokens_a),
    )
    assert again.status_code == 400
    assert again.json()["error"] == "question_already_answered"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"text": "oi"}, 400, "invalid_post_body"),
        ({"question_id": "abc", "text": "oi"}, 400, "invalid_question"),
        ({"question_id": 1, "text": "oi"}, 404, "invalid_question"),
        ({"question_id": 1, "text": "x" * 2001}, 400, "invalid_text_length"),
        ([], 400, "invalid_post_body"),
    ],
)
def test_answer_validation(api, tokens_a, body, status, error):
    response = api.post("/answers", json=body, headers=bearer(tokens_a))

    assert response.status_code == status
    assert response.json()["error"] == error


def test_answering_another_sellers_question_is_403(api, tokens_a, tokens_b, seller_b):
    question = _unanswered(api, tokens_b, seller_b)

    response = api.post(
        "/answers", json={"question_id": question["id"], "text": "oi"}, headers=bearer(tokens_a)
    )

    assert response.json() == FORBIDDEN


# -- shipments and missed feeds ---------------------------------------------------------------


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


def test_missed_feeds_needs_the_tokens_app(api, tokens_a):
    ok = api.get(
        "/missed_feeds", params={"app_id": "peepers-sandbox-app"}, headers=bearer(tokens_a)
    )
    other = api.get("/missed_feeds", params={"app_id": "123"}, headers=bearer(tokens_a))

    assert ok.json() == {"messages": []}
    assert other.status_code == 403
