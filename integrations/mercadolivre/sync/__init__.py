"""Copying a store's Mercado Livre data into its schema: the initial and incremental syncs.

Entry points are ``ml_sync_initial`` and ``ml_sync_incremental`` (``services``); the tasks in
``tasks`` and the ``initial_sync`` command call them. ``runs`` keeps the ledger, and
``items``, ``orders`` and ``questions`` read one resource each.
"""

from integrations.mercadolivre.sync.runs import SyncAlreadyRunning
from integrations.mercadolivre.sync.services import (
    SyncOutcome,
    ml_sync_incremental,
    ml_sync_initial,
)

__all__ = ["SyncAlreadyRunning", "SyncOutcome", "ml_sync_incremental", "ml_sync_initial"]
