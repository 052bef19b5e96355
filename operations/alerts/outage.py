"""When PostgreSQL itself is down, incidents cannot be recorded: page the P0 channels directly.

Deduplicated through Redis (one page per ``REPEAT`` while the outage lasts) and, should Redis
be down too, per process. Once the database answers again, ``database_connection_failed``
fires as a recorded incident from the failed probes counted meanwhile.
"""

from __future__ import annotations

import logging
import time
import warnings

import apprise

from core.redis import redis_client, redis_key
from operations.incidents.channels import channels_for

logger = logging.getLogger(__name__)

REPEAT_SECONDS = 15 * 60
_last_sent = [0.0]


def database_down_page(*, detail: str) -> int:
    """Send the page if none went out in the last REPEAT_SECONDS; how many channels took it."""
    try:
        first = bool(
            redis_client().set(
                redis_key("alerts", "database-down-paged"), 1, nx=True, ex=REPEAT_SECONDS
            )
        )
    except Exception:
        first = time.monotonic() - _last_sent[0] >= REPEAT_SECONDS or not _last_sent[0]
    if not first:
        return 0
    _last_sent[0] = time.monotonic()
    logger.critical("database unreachable: %s", detail)
    channels = channels_for(priority="P0")
    if not channels:
        logger.critical("no NOTIFY_URLS channel hears P0: the database outage pages nobody")
        return 0
    delivered = 0
    for channel in channels:  # one by one: a failing channel must not cost the others
        sender = apprise.Apprise()
        sender.add(channel.url)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            if sender.notify(
                title="[P0] database_connection_failed: PostgreSQL is unreachable",
                body=(
                    f"The alert evaluator cannot reach PostgreSQL: {detail}\n"
                    "Incidents cannot be recorded until it answers; this page repeats every "
                    f"{REPEAT_SECONDS // 60} minutes while it lasts."
                ),
                notify_type=apprise.NotifyType.FAILURE,
            ):
                delivered += 1
            else:
                logger.error("the database outage page failed on %s", channel.masked)
    return delivered
