"""Which apprise URLs hear about which priority, parsed from ``NOTIFY_URLS``.

An entry ``p1=mailto://…`` is a threshold: that channel hears P1 and everything more urgent
(P0, P1). An entry without a prefix hears every priority. So the runbook's P0 → slack + email
+ sms is ``NOTIFY_URLS=p2=slack://…,p1=mailto://…,p0=twilio://…``.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass

import apprise
from django.conf import settings

from operations.incidents.models import Priority

_THRESHOLD = re.compile(r"^\s*[pP]([0-3])\s*=\s*(\S.*?)\s*$")
_LEVEL = {Priority.P0: 0, Priority.P1: 1, Priority.P2: 2, Priority.P3: 3}

# apprise loads its plugins on first use; its e-mail plugin imports the stdlib ``imghdr``,
# deprecated in 3.11 (apprise shims it for 3.13). Load them once here, that warning silenced,
# so it does not surface (as an error under the tests) in whatever call happens to be first.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    apprise.Apprise.instantiate("json://localhost", suppress_exceptions=True)


@dataclass(frozen=True)
class Channel:
    url: str
    threshold: int  # hears priorities whose level is <= this (0 = P0 only, 3 = all)

    @property
    def hash(self) -> str:
        return channel_hash(self.url)

    @property
    def masked(self) -> str:
        return channel_masked(self.url)


def channel_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def channel_masked(url: str) -> str:
    """The URL as apprise prints it privately (tokens and passwords hidden)."""
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if not plugin:
        return url.split("://", 1)[0] + "://(unparseable)"
    return str(plugin.url(privacy=True))  # type: ignore[no-untyped-call]  # apprise is untyped


def channels_configured() -> list[Channel]:
    found = []
    for entry in settings.NOTIFY_URLS:
        match = _THRESHOLD.match(entry)
        if match:
            found.append(Channel(url=match.group(2), threshold=int(match.group(1))))
        elif entry.strip():
            found.append(Channel(url=entry.strip(), threshold=3))
    return found


def channels_for(*, priority: str) -> list[Channel]:
    level = _LEVEL[Priority(priority)]
    return [channel for channel in channels_configured() if level <= channel.threshold]


# A rule's channel kinds, and the apprise URL schemes that are that kind.
CHANNEL_KINDS: dict[str, frozenset[str]] = {
    "slack": frozenset({"slack"}),
    "email": frozenset({"mailto", "mailtos"}),
    "sms": frozenset(
        {"twilio", "sns", "vonage", "nexmo", "clicksend", "d7sms", "sinch", "bulksms"}
    ),
    "webhook": frozenset({"json", "jsons", "xml", "xmls", "form", "forms"}),
    "msteams": frozenset({"msteams"}),
    "discord": frozenset({"discord"}),
    "telegram": frozenset({"tgram"}),
    "pagerduty": frozenset({"pagerduty"}),
}


def channels_of_kinds(channels: list[Channel], *, kinds: list[str]) -> list[Channel]:
    """Those of ``channels`` whose URL scheme is one of ``kinds`` ("slack:alerts" -> slack)."""
    schemes: set[str] = set()
    for kind in kinds:
        schemes |= CHANNEL_KINDS.get(kind.split(":", 1)[0].lower(), frozenset())
    return [c for c in channels if c.url.split("://", 1)[0].lower() in schemes]


def escalation_priority(*, priority: str) -> str:
    """Escalation re-notifies on the next louder set: P2's breach goes to P1's channels."""
    return f"P{max(_LEVEL[Priority(priority)] - 1, 0)}"


def channel_url(*, hash: str) -> str | None:
    for channel in channels_configured():
        if channel.hash == hash:
            return channel.url
    return None
