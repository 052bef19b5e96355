"""``hold_token_answers``: a refresh ML performed whose answer has not left yet."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest

from doubles.mercadolivre import SandboxConfig, SandboxServer
from tests.doubles.mercadolivre.flows import (
    ADMIN,
    CLIENT_ID,
    CLIENT_SECRET,
    INVALID_GRANT,
    admin,
    refresh,
    tokens_for,
)
from tests.support.sandbox import SandboxAdmin


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield pool


@pytest.fixture
def sandbox(
    sandbox_server: SandboxServer, api: httpx.Client, pool: ThreadPoolExecutor
) -> Iterator[SandboxAdmin]:
    """The test's admin; its reset at the end lets held answers go before the pool joins."""
    sandbox = SandboxAdmin(sandbox_server, CLIENT_SECRET)
    try:
        yield sandbox
    finally:
        sandbox.reset()
        sandbox.http.close()


def refresh_alone(pool: ThreadPoolExecutor, url: str, refresh_token: str) -> Future[httpx.Response]:
    """A refresh on a connection of its own, answered whenever the sandbox lets it go."""

    def call() -> httpx.Response:
        with httpx.Client(base_url=url, timeout=10) as client:
            return refresh(client, refresh_token)

    return pool.submit(call)


def test_a_held_refresh_has_rotated_before_its_answer_leaves(api, sandbox, tokens_a, pool):
    sandbox.hold_token_answers()

    pending = refresh_alone(pool, sandbox.server.url, tokens_a["refresh_token"])
    sandbox.held_token_answers_wait(1)

    assert sandbox.token_requests("refresh_token") == 1
    # ML rotated on receipt: the old refresh token is spent, and a refused grant is not held.
    assert refresh(api, tokens_a["refresh_token"]).json() == INVALID_GRANT
    assert not pending.done()
    assert sandbox.held_token_answers() == 1


def test_a_refresher_killed_while_held_leaves_ml_rotated_and_the_sandbox_serving(
    api, sandbox, tokens_a
):
    sandbox.hold_token_answers()
    refresher = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, httpx; httpx.post(sys.argv[1] + '/oauth/token', timeout=60, data="
            "{'grant_type': 'refresh_token', 'client_id': sys.argv[2], "
            "'client_secret': sys.argv[3], 'refresh_token': sys.argv[4]})",
            sandbox.server.url,
            CLIENT_ID,
            CLIENT_SECRET,
            tokens_a["refresh_token"],
        ]
    )
    try:
        sandbox.held_token_answers_wait(1)
    finally:
        refresher.send_signal(signal.SIGKILL)
        refresher.wait(timeout=10)

    assert sandbox.release_token_answers() == 1
    assert refresh(api, tokens_a["refresh_token"]).json() == INVALID_GRANT
    assert sandbox.token_requests("refresh_token") == 2
    assert admin(api, "/_sandbox/state")["held_token_answers"] == 0


def test_release_delivers_the_rotated_pair(api, sandbox, tokens_a, pool):
    sandbox.hold_token_answers()
    pending = refresh_alone(pool, sandbox.server.url, tokens_a["refresh_token"])
    sandbox.held_token_answers_wait(1)

    assert sandbox.release_token_answers() == 1

    answer = pending.result(timeout=5)
    assert answer.status_code == 200
    assert answer.json()["user_id"] == tokens_a["user_id"]
    assert sandbox.held_token_answers() == 0
    sandbox.hold_token_answers(on=False)
    assert refresh(api, answer.json()["refresh_token"]).status_code == 200


def test_reset_releases_held_answers_and_stops_holding(api, sandbox, tokens_a, seller_a, pool):
    sandbox.hold_token_answers()
    pending = refresh_alone(pool, sandbox.server.url, tokens_a["refresh_token"])
    sandbox.held_token_answers_wait(1)

    sandbox.reset()

    assert pending.result(timeout=5).status_code == 200
    assert admin(api, "/_sandbox/state")["faults"]["hold_token_answers"] is False
    fresh = tokens_for(api, seller_a)
    assert refresh(api, fresh["refresh_token"]).status_code == 200


def test_a_forgotten_hold_answers_after_its_timeout(sandbox, tokens_a, pool):
    sandbox.hold_token_answers(timeout=0.3)
    started = time.monotonic()

    answer = refresh_alone(pool, sandbox.server.url, tokens_a["refresh_token"]).result(timeout=5)

    assert answer.status_code == 200
    assert time.monotonic() - started >= 0.3
    assert sandbox.held_token_answers() == 0


def test_a_code_exchange_is_not_held(api, sandbox, seller_a):
    sandbox.hold_token_answers(timeout=3)
    started = time.monotonic()

    tokens = tokens_for(api, seller_a)

    assert time.monotonic() - started < 1
    assert tokens["refresh_token"]
    assert sandbox.token_requests("authorization_code") == 1


def test_the_hold_timeout_must_be_positive(api):
    for bad in (0, -1, True, "30"):
        response = api.post(
            "/_sandbox/faults", json={"hold_token_answers_timeout": bad}, headers=ADMIN
        )
        assert response.status_code == 400, bad
        assert "hold_token_answers_timeout" in response.json()["message"]


def test_stopping_the_server_sends_held_answers(pool):
    config = SandboxConfig(sellers=1, items=1, orders=1, questions=1)
    server = SandboxServer(config)
    server.start()
    with httpx.Client(base_url=server.url, timeout=10) as client:
        tokens = tokens_for(client, server.state.sellers[0].id)
    sandbox = SandboxAdmin(server, CLIENT_SECRET)
    sandbox.hold_token_answers()
    pending = refresh_alone(pool, server.url, tokens["refresh_token"])
    sandbox.held_token_answers_wait(1)
    sandbox.http.close()
    started = time.monotonic()

    server.stop()

    assert pending.result(timeout=5).status_code == 200
    assert time.monotonic() - started < 5
