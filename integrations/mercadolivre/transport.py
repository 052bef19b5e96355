"""The HTTP connection pool to Mercado Livre, and reading ML's (several) error body shapes."""

from __future__ import annotations

import functools

import httpx

TIMEOUT = httpx.Timeout(connect=3.0, read=10.0, write=10.0, pool=5.0)
LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=20)


@functools.cache
def http_client() -> httpx.Client:
    """One pooled client per process; thread-safe, so every worker thread shares it."""
    return httpx.Client(
        timeout=TIMEOUT,
        limits=LIMITS,
        headers={"User-Agent": "Peepers/1.0 (+https://peepers.com.br)"},
        follow_redirects=False,
    )


def ml_json_or_none(response: httpx.Response) -> object:
    """The body as JSON, or None when it is not JSON (or nested past what Python parses)."""
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def ml_error_fields(response: httpx.Response) -> tuple[str, str]:
    """``(error, message)`` from any of ML's error bodies; empty strings when not JSON.

    ML answers ``{"message", "error", "status", "cause"}``, the token endpoint sometimes
    ``error_description`` instead of ``message``, newer services ``{"code", "message"}``.
    """
    body = ml_json_or_none(response)
    if not isinstance(body, dict):
        return "", ""
    error = body.get("error") or body.get("code") or ""
    message = body.get("message") or body.get("error_description") or ""
    return str(error), str(message)
