"""Errors of the seller dashboard's own operations; ``message`` is written for the seller."""

from __future__ import annotations


class DashboardError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SyncRefused(DashboardError):
    """ "Sync now" was not started: too soon for the plan, already running, or not possible."""
