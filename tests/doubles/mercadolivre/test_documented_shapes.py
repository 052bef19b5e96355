"""Shapes the sandbox serves because ML's pages show them (cited in docs/mercadolivre.md)."""

import pytest

from tests.doubles.mercadolivre.flows import ADMIN, FORBIDDEN, INVALID_TOKEN, admin, bearer

# error-403, verbatim.
INVALID_SCOPES = {"status": 403, "error": "Invalid scopes", "code": "FORBIDDEN"}


def test_the_forbidden_fault_answers_the_documented_invalid_scopes_body(api, tokens_a, seller_a):
    admin(api, "/_sandbox/faults", {"forbidden": "invalid_scopes"})

    response = api.get(f"/users/{seller_a}/items/search", headers=bearer(tokens_a))

    assert response.status_code == 403
    assert response.json() == INVALID_SCOPES


def test_the_forbidden_fault_answers_the_documented_wrong_owner_body(api, tokens_a):
    admin(api, "/_sandbox/faults", {"forbidden": "access_denied"})

    response = api.get("/users/me", headers=bearer(tokens_a))

    assert (response.status_code, response.json()) == (403, FORBIDDEN)


@pytest.mark.parametrize(
    ("cause", "words"),
    [
        ("user_inactive", "inactive"),
        ("ip_not_allowed", "IP address"),
        ("application_blocked", "blocked"),
        ("pending_validation", "data validation"),
        ("forbidden", "forbidden"),
    ],
)
def test_each_forbidden_cause_has_its_body(api, tokens_a, cause, words):
    admin(api, "/_sandbox/faults", {"forbidden": cause})

    body = api.get("/users/me", headers=bearer(tokens_a)).json()

    assert body["status"] == 403
    assert words in body["message"]


def test_the_forbidden_fault_can_be_limited_to_a_path(api, tokens_a, seller_a):
    admin(
        api,
        "/_sandbox/faults",
        {"forbidden": "user_inactive", "forbidden_path_prefix": "/questions/"},
    )

    assert api.get("/users/me", headers=bearer(tokens_a)).status_code == 200
    questions = api.get(
        "/questions/search", params={"seller_id": seller_a}, headers=bearer(tokens_a)
    )
    assert questions.status_code == 403


def test_the_token_is_checked_before_the_forbidden_fault(api):
    admin(api, "/_sandbox/faults", {"forbidden": "invalid_scopes"})

    response = api.get("/users/me", headers={"Authorization": "Bearer nope"})

    assert (response.status_code, response.json()) == (401, INVALID_TOKEN)


def test_an_unknown_forbidden_cause_is_refused(api):
    response = api.post("/_sandbox/faults", json={"forbidden": "because"}, headers=ADMIN)

    assert response.status_code == 400
    assert "forbidden must be" in response.json()["message"]


def test_part_of_the_orders_carry_a_pack_id(api, tokens_a, seller_a):
    orders = api.get(
        "/orders/search", params={"seller": seller_a, "limit": 50}, headers=bearer(tokens_a)
    ).json()["results"]

    packed = [order for order in orders if order["pack_id"] is not None]
    assert packed
    assert len(packed) < len(orders)
    assert all(isinstance(order["pack_id"], int) for order in packed)
    one = api.get(f"/orders/{packed[0]['id']}", headers=bearer(tokens_a)).json()
    assert one["pack_id"] == packed[0]["pack_id"]
