"""Request priorities from the runbook, what share of the budget each may use, and its queue."""

from __future__ import annotations

from enum import IntEnum


class Priority(IntEnum):
    CRITICAL = 1  # webhooks, payments
    HIGH = 2  # orders, messages
    MEDIUM = 3  # products
    LOW = 4  # analytics, reports

    @property
    def budget_share(self) -> float:
        """How much of the burst allowance this priority may fill.

        Lower priorities stop early, leaving the rest of the budget to the ones above them, so a
        backfill cannot starve webhook follow-ups.
        """
        return {1: 1.0, 2: 0.8, 3: 0.5, 4: 0.25}[int(self)]

    @property
    def queue(self) -> str:
        """The Celery queue for ML work of this priority: MEDIUM and LOW on the ML queues the
        rate-limit runbook can hold alone (``core.tasks.ML_QUEUES``)."""
        return {1: "critical", 2: "high", 3: "ml-default", 4: "ml-low"}[int(self)]


# The priority of the work a notification of each topic asks for (its fetch and its queue).
TOPIC_PRIORITY = {
    "orders_v2": Priority.CRITICAL,
    "payments": Priority.CRITICAL,
    "questions": Priority.HIGH,
    "messages": Priority.HIGH,
    "items": Priority.MEDIUM,
    "shipments": Priority.MEDIUM,
}


def topic_priority(topic: str) -> Priority:
    return TOPIC_PRIORITY.get(topic, Priority.LOW)
