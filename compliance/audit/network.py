"""The request facts the audit log keeps besides the address (``core.network.client_ip``)."""

from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest


def request_host(request: HttpRequest) -> str:
    """The Host the request named, validated when possible, raw (truncated) otherwise."""
    try:
        return request.get_host()[:255]
    except (DisallowedHost, KeyError):  # KeyError: a bare HttpRequest() has no SERVER_NAME
        return str(request.META.get("HTTP_HOST", ""))[:255]


def user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:512]
