"""An erased buyer on an order: the one anonymization that erasure, retention and every writer of
ML data apply (``integrations/personal_data.py`` declares it; ``upserts`` applies it to orders
of buyers on the store's suppression list before they are written)."""

from __future__ import annotations

from typing import Any

from compliance.dsr.scrub import scrubbed


def order_buyer_erased(*, raw: Any, payments: Any) -> dict[str, Any]:
    """The order's columns with the buyer gone; ids, amounts, dates and status stay (fiscal)."""
    return {
        "buyer_id": None,
        "buyer_nickname": "",
        "raw": scrubbed(raw),
        "payments": scrubbed(payments),
    }
