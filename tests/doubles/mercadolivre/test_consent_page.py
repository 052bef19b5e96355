"""The consent page in one browser: its sandbox session, switching seller, and signing out."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest

from doubles.mercadolivre import SandboxServer
from tests.doubles.mercadolivre.flows import (
    authorization_params,
    callback_query,
    code_exchange,
    pkce_pair,
)

SESSION_COOKIE = "ml_sandbox_session"


class ConsentPage(HTMLParser):
    """What a browser reads off the page: the form, its fields, links and element ids."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__()
        assert response.status_code == 200, response.text
        self.text = response.text
        self.action = ""
        self.fields: list[dict[str, str | None]] = []
        self.links: dict[str, str] = {}
        self.ids: set[str] = set()
        self.feed(response.text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        if tag == "form":
            self.action = str(attributes["action"])
        elif tag == "input":
            self.fields.append(attributes)
        elif tag == "a" and attributes.get("id"):
            self.links[str(attributes["id"])] = str(attributes["href"])

    def radios(self) -> list[str]:
        return [str(field["value"]) for field in self.fields if field.get("type") == "radio"]

    def submitted(self, *, choose: int | None = None) -> dict[str, str]:
        """The form's data once ``choose`` is picked (if given) and Authorize pressed."""
        data = {"decision": "approve"}
        for field in self.fields:
            name, value = field.get("name"), str(field.get("value"))
            if name is None:
                continue
            picked = value == str(choose) if choose is not None else "checked" in field
            if field.get("type") == "hidden" or (field.get("type") == "radio" and picked):
                data[name] = value
        return data


@pytest.fixture
def browser(api: httpx.Client, sandbox_server: SandboxServer) -> Iterator[httpx.Client]:
    """A client with its own cookie jar, on a freshly reset sandbox, like a new browser."""
    with httpx.Client(base_url=sandbox_server.url, timeout=10) as client:
        yield client


def session_set(browser: httpx.Client, value: str) -> None:
    """Put a session cookie in the jar as if the sandbox had set it."""
    browser.cookies.set(SESSION_COOKIE, value, domain=browser.base_url.host)


def consent_page(browser: httpx.Client) -> tuple[ConsentPage, str]:
    """Open the consent page as Peepers sends the browser there; the page and PKCE verifier."""
    verifier, challenge = pkce_pair()
    page = ConsentPage(browser.get("/authorization", params=authorization_params(challenge)))
    return page, verifier


def connected_seller(browser: httpx.Client, page: ConsentPage, verifier: str, **choice: int) -> int:
    """Press Authorize on ``page`` and exchange the code: the seller the tokens belong to."""
    approved = browser.post(page.action, data=page.submitted(**choice))
    tokens = code_exchange(browser, callback_query(approved)["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    return int(tokens.json()["user_id"])


def test_one_browser_connects_two_sellers_by_switching_account(browser, sandbox_server):
    seller_a, seller_b = sandbox_server.state.sellers[:2]

    page, verifier = consent_page(browser)
    assert page.radios() == [str(seller.id) for seller in sandbox_server.state.sellers]
    assert connected_seller(browser, page, verifier, choose=seller_a.id) == seller_a.id

    page, verifier = consent_page(browser)
    assert f"Signed in as <strong>{seller_a.nickname}" in page.text
    signed_out = browser.get(page.links["sandbox-switch-account"])
    assert signed_out.status_code == 302
    assert signed_out.headers["location"] == page.action
    page = ConsentPage(browser.get(signed_out.headers["location"]))
    assert "Signed in as" not in page.text
    assert connected_seller(browser, page, verifier, choose=seller_b.id) == seller_b.id

    page, _ = consent_page(browser)
    assert f"Signed in as <strong>{seller_b.nickname}" in page.text


def test_a_signed_in_browser_is_asked_only_for_consent(browser, sandbox_server):
    seller = sandbox_server.state.sellers[1]
    first, verifier = consent_page(browser)
    connected_seller(browser, first, verifier, choose=seller.id)

    page, verifier = consent_page(browser)

    assert page.radios() == []
    assert "sandbox-seller-chooser" not in page.ids
    assert {"sandbox-signed-in", "sandbox-switch-account"} <= page.ids
    assert page.submitted() == {"decision": "approve", "sandbox_user_id": str(seller.id)}
    assert connected_seller(browser, page, verifier) == seller.id


def test_the_link_shortcut_signs_the_browser_in_too(browser, sandbox_server):
    seller = sandbox_server.state.sellers[2]
    params = authorization_params(pkce_pair()[1], sandbox_user_id=seller.id)
    callback_query(browser.get("/authorization", params=params))

    page, _ = consent_page(browser)

    assert f"Signed in as <strong>{seller.nickname}" in page.text


@pytest.mark.parametrize("cookie", [None, "999999", "not-a-seller"])
def test_without_a_live_session_the_page_shows_the_seller_chooser(browser, sandbox_server, cookie):
    if cookie is not None:
        session_set(browser, cookie)

    page, _ = consent_page(browser)

    assert "sandbox-seller-chooser" in page.ids
    assert page.radios() == [str(seller.id) for seller in sandbox_server.state.sellers]
    assert "sandbox-switch-account" not in page.ids
    assert "Signed in as" not in page.text


def test_approving_without_a_choice_approves_the_signed_in_seller(browser, sandbox_server):
    seller = sandbox_server.state.sellers[1]
    params = authorization_params(pkce_pair()[1])
    signed_out = browser.post("/authorization", params=params, data={"decision": "approve"})
    assert signed_out.status_code == 400
    assert "Unknown sandbox user" in signed_out.text
    session_set(browser, str(seller.id))

    approved = browser.post("/authorization", params=params, data={"decision": "approve"})

    assert callback_query(approved)["code"].endswith(f"-{seller.id}")


def test_an_unknown_seller_gets_the_error_page_and_the_session_stays(browser, sandbox_server):
    seller = sandbox_server.state.sellers[0]
    page, verifier = consent_page(browser)
    connected_seller(browser, page, verifier, choose=seller.id)
    page, _ = consent_page(browser)

    refused = browser.post(page.action, data={"decision": "approve", "sandbox_user_id": "999999"})

    assert refused.status_code == 400
    assert "location" not in refused.headers
    assert "Unknown sandbox user" in refused.text
    assert "set-cookie" not in refused.headers
    page, _ = consent_page(browser)
    assert f"Signed in as <strong>{seller.nickname}" in page.text


@pytest.mark.parametrize(
    "go", [None, "https://evil.example/authorization", "//evil.example/authorization", "/users/me"]
)
def test_logout_signs_out_and_returns_only_to_the_consent_page(browser, sandbox_server, go):
    session_set(browser, str(sandbox_server.state.sellers[0].id))

    response = browser.get("/logout", params={} if go is None else {"go": go})

    assert response.status_code == 200
    assert "location" not in response.headers
    assert "signed out" in response.text
    assert SESSION_COOKIE not in browser.cookies
    assert "sandbox-seller-chooser" in consent_page(browser)[0].ids


def test_the_signed_in_page_escapes_what_it_shows(browser, sandbox_server):
    sellers = sandbox_server.state.dataset.sellers
    sellers[0] = dataclasses.replace(
        sellers[0], nickname='<script>alert("n")</script>', first_name="Ana & <b>Bia</b>"
    )
    page, verifier = consent_page(browser)
    assert "<script>" not in page.text
    connected_seller(browser, page, verifier, choose=sellers[0].id)

    page, _ = consent_page(browser)

    assert "Signed in as <strong>&lt;script&gt;alert(&quot;n&quot;)&lt;/script&gt;" in page.text
    assert "Ana &amp; &lt;b&gt;Bia&lt;/b&gt;" in page.text
    assert "<script>" not in page.text
    assert "<b>" not in page.text
