"""Driving the ML sandbox from tests: its admin endpoints and the seller's consent step."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from doubles.mercadolivre import SandboxServer
from tests.support.waiting import wait_until


class SandboxAdmin:
    def __init__(self, server: SandboxServer, client_secret: str) -> None:
        self.server = server
        self.http = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {client_secret}"}, timeout=10
        )

    def reset(self) -> None:
        self.http.post("/_sandbox/reset").raise_for_status()

    def faults(self, **faults: Any) -> dict[str, Any]:
        response = self.http.post("/_sandbox/faults", json=faults)
        response.raise_for_status()
        return dict(response.json())

    def expire_tokens(self, seller_id: int | None = None) -> None:
        body = {"seller_id": seller_id} if seller_id is not None else {}
        self.http.post("/_sandbox/expire_tokens", json=body).raise_for_status()

    def hold_token_answers(self, on: bool = True, *, timeout: float | None = None) -> None:
        """While on, a refresh is performed (rotated, counted) and its answer held until
        ``release_token_answers``, ``reset`` or ``timeout`` seconds (the sandbox's default)."""
        changes: dict[str, Any] = {"hold_token_answers": on}
        if timeout is not None:
            changes["hold_token_answers_timeout"] = timeout
        self.faults(**changes)

    def held_token_answers(self) -> int:
        """How many refresh answers the sandbox is holding now."""
        response = self.http.get("/_sandbox/state")
        response.raise_for_status()
        return int(response.json()["held_token_answers"])

    def held_token_answers_wait(self, count: int = 1, *, timeout: float = 10.0) -> None:
        """Wait until ``count`` refreshes reached the sandbox and their answers are held."""
        wait_until(
            lambda: self.held_token_answers() >= count,
            timeout=timeout,
            every=0.02,
            message=lambda: f"{self.held_token_answers()} of {count} token answers held",
        )

    def release_token_answers(self) -> int:
        """Send every held refresh answer; how many there were."""
        response = self.http.post("/_sandbox/release_token_answers")
        response.raise_for_status()
        return int(response.json()["released"])

    def token_requests(self, grant: str) -> int:
        return int(self.server.state.token_requests[grant])

    @property
    def sellers(self) -> list[Any]:
        return list(self.server.state.sellers)


def approve(authorization_url: str, *, seller_id: int) -> dict[str, str]:
    """Play the seller approving on ML's consent page; the callback's query parameters."""
    response = httpx.get(
        f"{authorization_url}&{urlencode({'sandbox_user_id': seller_id})}",
        follow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return {key: values[0] for key, values in query.items()}
