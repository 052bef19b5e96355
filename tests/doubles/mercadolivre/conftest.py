"""One sandbox server per test module, reset before each test that asks for ``api``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from doubles.mercadolivre import SandboxConfig, SandboxServer
from tests.doubles.mercadolivre.flows import Receiver, admin, tokens_for


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    server = SandboxServer(SandboxConfig(), host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """A webhook endpoint a module's sandbox notifies (its ``sandbox_server`` passes the URL)."""
    receiver = Receiver()
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.fixture(scope="module")
def _module_client(sandbox_server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_server.url, timeout=10) as client:
        yield client


@pytest.fixture
def api(_module_client: httpx.Client) -> httpx.Client:
    """An HTTP client on a freshly reset sandbox (seed data, no tokens, no faults), signed out."""
    admin(_module_client, "/_sandbox/reset")
    _module_client.cookies.clear()
    return _module_client


@pytest.fixture
def seller_a(sandbox_server: SandboxServer, api: httpx.Client) -> int:
    return sandbox_server.state.sellers[0].id


@pytest.fixture
def seller_b(sandbox_server: SandboxServer, api: httpx.Client) -> int:
    return sandbox_server.state.sellers[1].id


@pytest.fixture
def tokens_a(api: httpx.Client, seller_a: int) -> dict[str, Any]:
    return tokens_for(api, seller_a)


@pytest.fixture
def tokens_b(api: httpx.Client, seller_b: int) -> dict[str, Any]:
    return tokens_for(api, seller_b)
