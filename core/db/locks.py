"""``advisory_lock(name)``: one holder at a time across every process, with no transaction open.

A PostgreSQL session-level advisory lock: it is held by the connection, not a transaction, so
work under it may call slow outside services without keeping a transaction (and its row locks)
open, and a process that dies releases it with its connection. Names are hashed to the 64-bit
key PostgreSQL takes; put the schema in the name when the lock is a store's.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterator

from django.db import connection

POLL_SECONDS = 0.05


def _key(name: str) -> int:
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.contextmanager
def advisory_lock(name: str, *, wait_seconds: float) -> Iterator[bool]:
    """Hold lock ``name`` for the block; yields False (not held) after ``wait_seconds``."""
    key = _key(name)
    deadline = time.monotonic() + wait_seconds
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            row = cursor.fetchone()
            if row is not None and row[0]:
                break
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(POLL_SECONDS)
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
