"""Writes that must outlive the caller's transaction: ``committed_alone(work)``.

Some state is worth more than the work around it: a Mercado Livre refresh token is spent the
moment ML receives the request, so the pair it answers with must be stored even if the service
that needed it rolls back. ``committed_alone`` runs ``work`` where each of its statements
commits by itself: on the current connection when it is in autocommit, else on a connection
of its own (a short-lived thread, in the same schema), so nothing the caller later rolls back
takes it along.

A test case's own wrapping transaction (``TestCase``, pytest-django's ``db``) stands for
autocommit: the test's rows are visible only there.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection

T = TypeVar("T")

# How long a write on the separate connection waits for a row lock before failing.
LOCK_TIMEOUT_MS = 20_000


def in_caller_transaction() -> bool:
    """Whether a transaction of the caller (not a test case's wrapper) is open."""
    blocks: list[Any] = getattr(connection, "atomic_blocks", [])
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def committed_alone(work: Callable[[], T]) -> T:
    """``work()``, its writes committed whatever becomes of the caller's transaction."""
    if not in_caller_transaction():
        return work()
    tenant = getattr(connection, "tenant", None)
    context = contextvars.copy_context()  # the log context (correlation id) goes along
    outcome: dict[str, Any] = {}

    def run() -> None:
        # A new thread has its own connection (Django's are per thread), in autocommit.
        try:
            if tenant is not None:
                connection.set_tenant(tenant)  # type: ignore[attr-defined]
            with connection.cursor() as cursor:
                # A row the caller's transaction holds would make this thread and the caller
                # wait on each other, unseen by PostgreSQL: fail instead of hanging.
                cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
            outcome["value"] = context.run(work)
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="committed-alone", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value
