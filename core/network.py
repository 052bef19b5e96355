"""Where a request came from: the client's address behind a known number of proxies."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest, *, trusted_proxies: int | None = None) -> str | None:
    """The address that reached our first trusted proxy (or us, with none); None if not an IP.

    Each trusted proxy appends the address it received from to X-Forwarded-For, so with N of
    them the client is the (N+1)-th address from the right of ``XFF + [REMOTE_ADDR]``; anything
    further left is whatever the sender wrote and is ignored. N defaults to the proxies in front
    of Peepers (``ML_WEBHOOK_TRUSTED_PROXIES``: the same proxies front every host).
    """
    if trusted_proxies is None:
        trusted_proxies = settings.ML_WEBHOOK_TRUSTED_PROXIES
    chain = [str(request.META.get("REMOTE_ADDR", ""))]
    if trusted_proxies > 0:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        chain = [hop.strip() for hop in forwarded.split(",") if hop.strip()] + chain
    candidate = chain[max(0, len(chain) - trusted_proxies - 1)]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
