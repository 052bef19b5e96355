"""The sandbox's admin endpoints and every fault switch, seen from a client."""

import time

import httpx
import pytest

from doubles.mercadolivre import SandboxConfig, SandboxServer
from tests.doubles.mercadolivre.flows import (
    ADMIN,
    INVALID_GRANT,
    INVALID_TOKEN,
    admin,
    bearer,
    code_exchange,
    code_for,
    refresh,
    tokens_for,
)

TOO_MANY = {
    "message": "Too Many Requests",
    "error": "too_many_requests",
    "status": 429,
    "cause": [],
}


def test_admin_needs_the_client_secret(api):
    assert api.get("/_sandbox/state").status_code == 401
    wrong = api.post("/_sandbox/reset", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["status"] == 401


def test_state_reports_counters_sellers_and_faults(api, tokens_a, sandbox_server):
    api.get("/users/me", headers=bearer(tokens_a))

    state = admin(api, "/_sandbox/state")

    assert state["token_requests"] == {"authorization_code": 1}
    assert state["requests"]["/users"] == 1
    assert state["requests"]["/oauth"] == 1
    assert state["sellers"] == [
        {"id": s.id, "nickname": s.nickname} for s in sandbox_server.state.sellers
    ]
    assert state["faults"]["outage"] is False
    assert state["notifications"]["pending"] == 0


def test_faults_validate_their_input(api):
    unknown = api.post("/_sandbox/faults", json={"explode": True}, headers=ADMIN)
    bad = api.post("/_sandbox/faults", json={"error_fraction": 2}, headers=ADMIN)

    assert unknown.status_code == 400
    assert "explode" in unknown.json()["message"]
    assert bad.status_code == 400


def test_rate_limit_answers_429_without_retry_after_by_default(api, tokens_a):
    settings = admin(api, "/_sandbox/faults", {"rate_limit_fraction": 1})
    assert settings["rate_limit_fraction"] == 1.0

    response = api.get("/users/me", headers=bearer(tokens_a))
    token = refresh(api, tokens_a["refresh_token"])

    assert response.status_code == 429
    assert response.json() == TOO_MANY
    assert "retry-after" not in response.headers
    assert token.status_code == 429


def test_retry_after_header_when_set(api, tokens_a):
    admin(api, "/_sandbox/faults", {"rate_limit_fraction": 1, "retry_after": 7})

    response = api.get("/users/me", headers=bearer(tokens_a))

    assert response.headers["retry-after"] == "7"


def test_random_faults_repeat_after_a_reset(api, tokens_a, seller_a):
    def statuses():
        return [api.get("/users/me", headers=bearer(tokens_a)).status_code for _ in range(20)]

    admin(api, "/_sandbox/faults", {"rate_limit_fraction": 0.5})
    first = statuses()
    admin(api, "/_sandbox/faults", {"rate_limit_fraction": 0})

    assert set(first) == {200, 429}
    admin(api, "/_sandbox/reset")
    tokens_a.update(tokens_for(api, seller_a))
    admin(api, "/_sandbox/faults", {"rate_limit_fraction": 0.5})
    assert statuses() == first


def test_quota_per_minute_is_a_hard_limit(api, tokens_a):
    admin(api, "/_sandbox/faults", {"quota_per_minute": 3})

    codes = [api.get("/users/me", headers=bearer(tokens_a)).status_code for _ in range(5)]

    assert codes == [200, 200, 200, 429, 429]
    assert admin(api, "/_sandbox/state")["faults"]["quota_per_minute"] == 3


def test_error_fraction_answers_500(api, tokens_a):
    admin(api, "/_sandbox/faults", {"error_fraction": 1})

    response = api.get("/users/me", headers=bearer(tokens_a))

    assert response.status_code == 500
    assert response.json()["status"] == 500
    assert response.json()["cause"] == []


def test_latency_slows_every_api_answer(api, tokens_a):
    admin(api, "/_sandbox/faults", {"latency_ms": 200})

    started = time.monotonic()
    api.get("/users/me", headers=bearer(tokens_a))

    assert time.monotonic() - started >= 0.2


def test_outage_answers_503_html_except_admin(api, tokens_a, seller_a):
    admin(api, "/_sandbox/faults", {"outage": True})

    resource = api.get("/users/me", headers=bearer(tokens_a))
    token = refresh(api, tokens_a["refresh_token"])

    for response in (resource, token, api.get("/authorization")):
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("text/html")
        assert "503 Service Temporarily Unavailable" in response.text
    assert admin(api, "/_sandbox/state")["faults"]["outage"] is True
    admin(api, "/_sandbox/faults", {"outage": False})
    assert refresh(api, tokens_a["refresh_token"]).status_code == 200


def test_partial_orders_answer_206_without_buyer(api, tokens_a, seller_a):
    admin(api, "/_sandbox/faults", {"partial_orders": True})

    search = api.get("/orders/search", params={"seller": seller_a}, headers=bearer(tokens_a))
    order_id = search.json()["results"][0]["id"]
    single = api.get(f"/orders/{order_id}", headers=bearer(tokens_a))

    for response in (search, single):
        assert response.status_code == 206
        assert response.headers["x-content-missing"] == "buyer"
    assert all("buyer" not in order for order in search.json()["results"])
    assert "buyer" not in single.json()
    assert api.get("/users/me", headers=bearer(tokens_a)).status_code == 200


def test_token_401_variant(api):
    admin(api, "/_sandbox/faults", {"token_401_variant": "unauthorized"})

    response = api.get("/users/me", headers={"Authorization": "Bearer APP_USR-nope"})

    assert response.status_code == 401
    assert response.json() == {"code": "unauthorized", "message": "invalid access token"}


def test_malformed_json_truncates_resources_but_not_oauth(api, tokens_a):
    admin(api, "/_sandbox/faults", {"malformed_json": True})

    response = api.get("/users/me", headers=bearer(tokens_a))
    token = refresh(api, tokens_a["refresh_token"])

    assert response.status_code == 200
    with pytest.raises(ValueError, match=r"."):
        response.json()
    assert token.json()["user_id"] == tokens_a["user_id"]


def test_revoke_all_refresh_tokens(api, tokens_a, tokens_b):
    admin(api, "/_sandbox/faults", {"revoke_refresh_tokens": True})

    assert refresh(api, tokens_a["refresh_token"]).json() == INVALID_GRANT
    assert refresh(api, tokens_b["refresh_token"]).json() == INVALID_GRANT


def test_faults_from_the_config_apply_at_start_and_after_reset():
    config = SandboxConfig(sellers=1, items=1, orders=1, questions=1, faults={"outage": True})
    with SandboxServer(config) as server, httpx.Client(base_url=server.url) as client:
        assert client.get("/users/me").status_code == 503
        admin(client, "/_sandbox/reset")
        assert client.get("/users/me").status_code == 503


def test_reset_clears_tokens_faults_and_counters(api, tokens_a, seller_a, sandbox_server):
    admin(api, "/_sandbox/faults", {"latency_ms": 10})
    admin(api, "/_sandbox/events", {"type": "item_updated", "seller_id": seller_a})

    state = admin(api, "/_sandbox/reset")

    assert state["token_requests"] == {}
    assert state["faults"]["latency_ms"] == 0
    assert state["event_clock"].startswith("2026-11-01T00:00")
    assert api.get("/users/me", headers=bearer(tokens_a)).json() == INVALID_TOKEN
    assert sandbox_server.state.token_requests["authorization_code"] == 0
    code, verifier = code_for(api, seller_a)
    assert code_exchange(api, code, verifier).status_code == 200


def test_expire_tokens_for_everyone(api, tokens_a, tokens_b):
    assert admin(api, "/_sandbox/expire_tokens") == {"expired": 2}

    assert api.get("/users/me", headers=bearer(tokens_a)).status_code == 401
    assert api.get("/users/me", headers=bearer(tokens_b)).status_code == 401
    assert refresh(api, tokens_a["refresh_token"]).status_code == 200


# -- events -----------------------------------------------------------------------------------


def test_order_created_event_adds_a_paid_order(api, tokens_a, seller_a):
    before = api.get("/orders/search", params={"seller": seller_a}, headers=bearer(tokens_a))

    order = admin(api, "/_sandbox/events", {"type": "order_created", "seller_id": seller_a})

    after = api.get("/orders/search", params={"seller": seller_a}, headers=bearer(tokens_a))
    assert order["status"] == "paid"
    assert order["seller"]["id"] == seller_a
    assert after.json()["paging"]["total"] == before.json()["paging"]["total"] + 1
    assert api.get(f"/orders/{order['id']}", headers=bearer(tokens_a)).json() == order
    shipment = api.get(
        f"/shipments/{order['shipping']['id']}",
        headers={**bearer(tokens_a), "x-format-new": "true"},
    )
    assert shipment.status_code == 200


def test_order_updated_event_bumps_date_last_updated(api, tokens_a, seller_a):
    order = api.get(
        "/orders/search",
        params={"seller": seller_a, "order.status": "confirmed", "limit": 1},
        headers=bearer(tokens_a),
    ).json()["results"][0]

    updated = admin(
        api,
        "/_sandbox/events",
        {"type": "order_updated", "seller_id": seller_a, "order_id": order["id"]},
    )

    assert updated["id"] == order["id"]
    assert updated["status"] == "paid"
    assert updated["payments"]
    assert updated["date_last_updated"] > order["date_last_updated"]
    found = api.get(
        "/orders/search",
        params={"seller": seller_a, "order.date_last_updated.from": "2026-11-01T00:00:00Z"},
        headers=bearer(tokens_a),
    ).json()
    assert [o["id"] for o in found["results"]] == [order["id"]]


def test_item_updated_and_question_created_events(api, tokens_a, seller_a):
    item = admin(api, "/_sandbox/events", {"type": "item_updated", "seller_id": seller_a})
    question = admin(
        api,
        "/_sandbox/events",
        {"type": "question_created", "seller_id": seller_a, "item_id": item["id"]},
    )

    assert api.get(f"/items/{item['id']}", headers=bearer(tokens_a)).json() == item
    assert item["last_updated"].startswith("2026-11-01T00:01")
    assert question["status"] == "UNANSWERED"
    assert question["item_id"] == item["id"]
    assert api.get(f"/questions/{question['id']}", headers=bearer(tokens_a)).json() == question


def test_events_validate_type_and_seller(api, seller_a):
    bad_type = api.post(
        "/_sandbox/events", json={"type": "nope", "seller_id": seller_a}, headers=ADMIN
    )
    unknown_seller = api.post(
        "/_sandbox/events", json={"type": "item_updated", "seller_id": 1}, headers=ADMIN
    )

    assert bad_type.status_code == 400
    assert unknown_seller.status_code == 404
