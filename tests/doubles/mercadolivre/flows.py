"""Steps the sandbox tests repeat: PKCE, the consent shortcut, token grants, admin calls."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.waiting import wait_until

CLIENT_ID = "peepers-sandbox-app"
CLIENT_SECRET = "peepers-sandbox-secret"
REDIRECT_URI = "http://localhost:8000/auth/callback"
ADMIN = {"Authorization": f"Bearer {CLIENT_SECRET}"}
# The token endpoint's documented body (autenticacion-y-autorizacion, "Error Invalid Grant").
INVALID_GRANT = {
    "error_description": "Error validating grant. Your authorization code or refresh token "
    "may be expired or it was already used",
    "error": "invalid_grant",
    "status": 400,
    "cause": [],
}
INVALID_TOKEN = {"message": "invalid_token", "error": "not_found", "status": 401, "cause": []}
# ML's "Error 403" page, token of another owner, verbatim.
FORBIDDEN = {
    "status": 403,
    "error": "access_denied",
    "message": "access to the requested resource is forbidden",
    "code": "FORBIDDEN",
}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorization_params(challenge: str | None, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": "st-123",
    }
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return params


def callback_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return {key: values[0] for key, values in query.items()}


def code_for(client: httpx.Client, seller_id: int) -> tuple[str, str]:
    """An authorization code for ``seller_id`` and its PKCE verifier."""
    verifier, challenge = pkce_pair()
    response = client.get(
        "/authorization", params=authorization_params(challenge, sandbox_user_id=seller_id)
    )
    return callback_query(response)["code"], verifier


def code_exchange(client: httpx.Client, code: str, verifier: str, **extra: str) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    data.update(extra)
    return client.post("/oauth/token", data=data)


def refresh(client: httpx.Client, refresh_token: str) -> httpx.Response:
    return client.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": refresh_token,
        },
    )


def tokens_for(client: httpx.Client, seller_id: int) -> dict[str, Any]:
    response = code_exchange(client, *code_for(client, seller_id))
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def admin(client: httpx.Client, path: str, body: dict[str, Any] | None = None) -> Any:
    if body is None and path == "/_sandbox/state":
        response = client.get(path, headers=ADMIN)
    else:
        response = client.post(path, json=body or {}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


class Receiver:
    """A notification callback on a real socket; answers from a script, records what came."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.default_status = 200
        self.script: list[tuple[int, float]] = []  # (status, delay in seconds) per request
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver._lock:
                    receiver.payloads.append(json.loads(body))
                    status, delay = (
                        receiver.script.pop(0) if receiver.script else (receiver.default_status, 0)
                    )
                time.sleep(delay)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/notifications"

    def answer(self, *script: tuple[int, float], default_status: int = 200) -> None:
        with self._lock:
            self.payloads.clear()
            self.script = list(script)
            self.default_status = default_status

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[dict[str, Any]]:
        wait_until(
            lambda: len(self.payloads) >= count,
            timeout=timeout,
            every=0.02,
            message=lambda: f"{len(self.payloads)} of {count} notifications came",
        )
        with self._lock:
            return list(self.payloads)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
