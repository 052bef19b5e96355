"""A WSGI application whose answer takes a while: the first line at once, the rest ``seconds``
later (``GET /?seconds=3``), so a test can stop the server while a request is in flight."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

FIRST = b"started\n"
LAST = b"finished\n"


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    seconds = float(parse_qs(environ.get("QUERY_STRING", "")).get("seconds", ["3"])[0])
    start_response(
        "200 OK",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(FIRST) + len(LAST)))],
    )
    yield FIRST
    time.sleep(seconds)
    yield LAST
