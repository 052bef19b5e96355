"""What every log line says about where it came from: schema, task and correlation id.

Tasks set the context when they start (``core.tasks.PeepersTask``) and pass the correlation
id on to the tasks they send, so one chain of work can be followed across workers.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class LogContext:
    task: str = "-"
    correlation_id: str = "-"


_NONE = LogContext()
log_context: ContextVar[LogContext | None] = ContextVar("peepers_log_context", default=None)


def current_log_context() -> LogContext:
    return log_context.get() or _NONE


class ContextFilter(logging.Filter):
    """Adds ``schema``, ``task`` and ``correlation_id`` to every record (see LOGGING)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from django.db import connection

        context = current_log_context()
        record.schema = getattr(connection, "schema_name", None) or "-"
        record.task = context.task
        record.correlation_id = context.correlation_id
        return True
