"""When the bundled doubles (ML sandbox, Stripe emulator) may serve: the one rule both obey.

Development and tests: always. Production: only for a loopback run (``make serve``), i.e. with
``PEEPERS_LOCAL_DOUBLES`` on, every API base the app uses for that provider on this machine,
and the double itself listening on loopback.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.conf import settings


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def double_refusal(*, double: str, api_bases: Mapping[str, str], bind_host: str) -> str | None:
    """Why ``double`` must not run under these settings, or None when it may.

    ``api_bases`` maps each setting name (``ML_API_BASE``...) to its value.
    """
    if not settings.PRODUCTION:
        return None
    if not settings.PEEPERS_LOCAL_DOUBLES:
        return (
            f"the {double} is for development and tests, not production "
            "(PEEPERS_LOCAL_DOUBLES is off)"
        )
    for name, url in api_bases.items():
        host = urlsplit(url).hostname or ""
        if not is_loopback_host(host):
            return (
                f"the {double} serves production only on loopback: {name} points at "
                f"{host or url!r}, so the real provider is in use"
            )
    if not is_loopback_host(bind_host):
        return f"the {double} serves production only on loopback, not on {bind_host!r}"
    return None
