"""Sandbox resources: bearer-token checks, users and missed feeds."""

from tests.doubles.mercadolivre.flows import INVALID_TOKEN, admin, bearer

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


def test_missed_feeds_needs_the_tokens_app(api, tokens_a):
    ok = api.get(
        "/missed_feeds", params={"app_id": "peepers-sandbox-app"}, headers=bearer(tokens_a)
    )
    other = api.get("/missed_feeds", params={"app_id": "123"}, headers=bearer(tokens_a))

    assert ok.json() == {"messages": []}
    assert other.status_code == 403
