"""The sandbox's OAuth: consent page, codes, PKCE, token grants and refresh rotation."""

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from doubles.mercadolivre import SandboxConfig, SandboxServer
from tests.doubles.mercadolivre.flows import (
    CLIENT_ID,
    CLIENT_SECRET,
    INVALID_GRANT,
    REDIRECT_URI,
    admin,
    authorization_params,
    bearer,
    callback_query,
    code_exchange,
    code_for,
    pkce_pair,
    refresh,
    tokens_for,
)


def test_pkce_happy_path_issues_ml_shaped_tokens(api, seller_a, sandbox_server):
    code, verifier = code_for(api, seller_a)
    assert re.fullmatch(rf"TG-[0-9a-f]+-{seller_a}", code)

    response = code_exchange(api, code, verifier)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "scope",
        "user_id",
        "refresh_token",
    }
    assert re.fullmatch(rf"APP_USR-{CLIENT_ID}-\d{{6}}-[0-9a-f]+-{seller_a}", body["access_token"])
    assert re.fullmatch(rf"TG-[0-9a-f]+-{seller_a}", body["refresh_token"])
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 21600
    assert body["scope"] == "offline_access read write"
    assert body["user_id"] == seller_a
    me = api.get("/users/me", headers=bearer(body))
    assert me.json()["id"] == seller_a
    assert sandbox_server.state.token_requests["authorization_code"] == 1


def test_consent_page_lists_sellers_and_posts_back(api, sandbox_server):
    params = authorization_params(pkce_pair()[1])
    page = api.get("/authorization", params=params)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for seller in sandbox_server.state.sellers:
        assert seller.nickname in page.text
    assert "Sign in as" in page.text
    assert "Authorize" in page.text
    assert "Deny" in page.text
    second = sandbox_server.state.sellers[1]
    approved = api.post(
        "/authorization",
        params=params,
        data={"decision": "approve", "sandbox_user_id": str(second.id)},
    )
    query = callback_query(approved)
    assert approved.headers["location"].startswith(REDIRECT_URI + "?")
    assert query["state"] == "st-123"
    assert query["code"].endswith(f"-{second.id}")


def test_deny_redirects_with_access_denied(api):
    params = authorization_params(pkce_pair()[1])

    denied = api.post("/authorization", params=params, data={"decision": "deny"})

    query = callback_query(denied)
    assert query["error"] == "access_denied"
    assert query["error_description"]
    assert query["state"] == "st-123"
    assert "code" not in query


def test_redirect_uri_mismatch_is_a_page_never_a_redirect(api, seller_a):
    params = authorization_params(
        pkce_pair()[1], redirect_uri=REDIRECT_URI + "/extra", sandbox_user_id=seller_a
    )

    response = api.get("/authorization", params=params)

    assert response.status_code == 400
    assert "location" not in response.headers
    assert "redirect_uri" in response.text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"client_id": "nope"}, "client_id"),
        ({"response_type": "token"}, "response_type"),
        ({"code_challenge": None, "code_challenge_method": None}, "PKCE"),
        ({"code_challenge_method": "S512"}, "code_challenge_method"),
    ],
)
def test_bad_authorization_requests_get_a_400_page(api, seller_a, change, expected):
    params = authorization_params(pkce_pair()[1], sandbox_user_id=seller_a)
    params.update(change)
    params = {key: value for key, value in params.items() if value is not None}

    response = api.get("/authorization", params=params)

    assert response.status_code == 400
    assert "location" not in response.headers
    assert expected in response.text


def test_pkce_verifier_mismatch_is_invalid_grant(api, seller_a):
    code, _ = code_for(api, seller_a)

    response = code_exchange(api, code, pkce_pair()[0])

    assert response.status_code == 400
    assert response.json() == INVALID_GRANT


def test_plain_pkce_method_is_accepted(api, seller_a):
    verifier = "plain-verifier-" + "x" * 40
    params = authorization_params(
        None, code_challenge=verifier, code_challenge_method="plain", sandbox_user_id=seller_a
    )
    code = callback_query(api.get("/authorization", params=params))["code"]

    assert code_exchange(api, code, verifier).status_code == 200


def test_code_is_single_use(api, seller_a):
    code, verifier = code_for(api, seller_a)
    assert code_exchange(api, code, verifier).status_code == 200

    again = code_exchange(api, code, verifier)

    assert again.status_code == 400
    assert again.json() == INVALID_GRANT


def test_code_exchange_needs_the_same_redirect_uri(api, seller_a):
    code, verifier = code_for(api, seller_a)

    response = code_exchange(api, code, verifier, redirect_uri="http://localhost:8000/other")

    assert response.status_code == 400
    assert response.json() == INVALID_GRANT


def test_expired_code_is_invalid_grant():
    server = SandboxServer(SandboxConfig(sellers=1, items=1, orders=1, questions=1, code_ttl=0))
    server.start()
    try:
        with httpx.Client(base_url=server.url) as client:
            code, verifier = code_for(client, server.state.sellers[0].id)
            response = code_exchange(client, code, verifier)
    finally:
        server.stop()
    assert response.status_code == 400
    assert response.json() == INVALID_GRANT


def test_refresh_rotates_both_tokens_and_the_old_refresh_token_dies(api, tokens_a, sandbox_server):
    rotated = refresh(api, tokens_a["refresh_token"])

    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != tokens_a["refresh_token"]
    assert new["access_token"] != tokens_a["access_token"]
    assert new["user_id"] == tokens_a["user_id"]
    reused = refresh(api, tokens_a["refresh_token"])
    assert reused.status_code == 400
    assert reused.json() == INVALID_GRANT
    assert api.get("/users/me", headers=bearer(new)).status_code == 200
    assert sandbox_server.state.token_requests["refresh_token"] == 2


def test_only_the_latest_refresh_token_of_a_seller_works(api, seller_a):
    first = tokens_for(api, seller_a)
    second = tokens_for(api, seller_a)

    assert refresh(api, first["refresh_token"]).json() == INVALID_GRANT
    assert refresh(api, second["refresh_token"]).status_code == 200


def test_revoked_refresh_tokens_answer_invalid_grant(api, tokens_a, tokens_b, seller_a):
    admin(api, "/_sandbox/faults", {"revoke_refresh_tokens": [seller_a]})

    assert refresh(api, tokens_a["refresh_token"]).json() == INVALID_GRANT
    assert refresh(api, tokens_b["refresh_token"]).status_code == 200


def test_bad_client_credentials_are_invalid_client(api, tokens_a):
    response = api.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": "wrong",
            "refresh_token": tokens_a["refresh_token"],
        },
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert refresh(api, tokens_a["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, "invalid_request"),
        ({"grant_type": "password", "client_id": CLIENT_ID}, "unsupported_grant_type"),
        (
            {"grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
            "invalid_request",
        ),
        (
            {
                "grant_type": "authorization_code",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "code": "TG-x-1",
                "redirect_uri": REDIRECT_URI,
            },
            "invalid_request",
        ),
    ],
)
def test_malformed_token_requests(api, data, error):
    response = api.post("/oauth/token", data=data)

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == error
    assert body["status"] == 400
    assert body["cause"] == []


def test_token_endpoint_refuses_get_and_query_strings_with_404(api, tokens_a, sandbox_server):
    params = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": tokens_a["refresh_token"],
    }

    assert api.get("/oauth/token", params=params).status_code == 404
    query_only = api.post("/oauth/token", params=params)

    assert query_only.status_code == 404
    assert query_only.json()["error"] == "not_found"
    assert sandbox_server.state.token_requests["refresh_token"] == 1
    assert refresh(api, tokens_a["refresh_token"]).status_code == 200


def test_auto_approve_signs_in_as_the_first_seller():
    config = SandboxConfig(sellers=2, items=1, orders=1, questions=1, auto_approve=True)
    with SandboxServer(config) as server, httpx.Client(base_url=server.url) as client:
        response = client.get("/authorization", params=authorization_params(pkce_pair()[1]))
        first = server.state.sellers[0].id

    assert callback_query(response)["code"].endswith(f"-{first}")


def test_concurrent_refreshes_of_one_token_let_exactly_one_through(api, tokens_a, sandbox_server):
    def attempt(_):
        with httpx.Client(base_url=sandbox_server.url) as client:
            return refresh(client, tokens_a["refresh_token"]).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(attempt, range(8)))

    assert sorted(codes) == [200] + [400] * 7
    assert sandbox_server.state.token_requests["refresh_token"] == 8
