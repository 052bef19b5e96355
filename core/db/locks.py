"""``advisory_lock(name)``: one holder at a time across every process, with no transaction open.

A PostgreSQL session-level advisory lock: it is held by the connection, not a transaction, so
work under it may call slow outside services without keeping a transaction (and its row locks)
open, and a process that dies releases it with its connection. Names are hashed to the 64-bit
key PostgreSQL takes; put the schema in the name when the lock is a store's.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

from django.db import DatabaseError, OperationalError, connection, transaction

LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout ends a wait


def transaction_lock(name: str) -> None:
    """Take lock ``name`` until the current transaction ends, waiting for it as long as it
    takes: for a short read-then-write that must not interleave with another's."""
    if not connection.in_atomic_block:
        raise RuntimeError("transaction_lock() must run inside transaction.atomic()")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_key(name)])


def _key(name: str) -> int:
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.contextmanager
def advisory_lock(name: str, *, wait_seconds: float) -> Iterator[bool]:
    """Hold lock ``name`` for the block; yields False (not held) after ``wait_seconds``."""
    key = _key(name)
    held = _try(key) or _wait(key, wait_seconds)
    if not held:
        yield False
        return
    try:
        yield True
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        except DatabaseError:
            # An aborted transaction cannot unlock: closing the connection releases the lock.
            connection.close()


def _try(key: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        row = cursor.fetchone()
    return bool(row and row[0])


def _wait(key: int, wait_seconds: float) -> bool:
    """Queue for the lock in PostgreSQL (woken the moment it is free), up to ``wait_seconds``.

    The wait runs in a transaction of its own only to scope its ``lock_timeout``: a session
    lock outlives the transaction it was taken in."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{max(1, int(wait_seconds * 1000))}ms'")
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            return False
        raise
    return True
