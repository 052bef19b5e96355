"""``EmulatorConfig``: what one Stripe emulator is set up with (webhooks, dunning, numbering)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The API version the emulator's objects follow; the ``Stripe-Version`` header is accepted and
# echoed on events, but shapes carry both the newer and the older field names (see render.py).
DEFAULT_API_VERSION = "2026-10-28.endive"

DunningFinalAction = Literal["unpaid", "canceled"]


@dataclass(frozen=True)
class EmulatorConfig:
    """One emulator: where events go, how payments are retried, how ids and numbers are drawn.

    ``retry_scale`` multiplies the webhook sender's delays (1, 2, 4... seconds of real time), so
    tests can run the retry ladder in milliseconds. ``dunning_retry_days`` are days of emulator
    time after the *first* failed attempt of a renewal invoice; after the last one fails the
    subscription becomes ``dunning_final_action``.
    """

    webhook_url: str | None = None
    webhook_secret: str = "whsec_test"  # noqa: S105 - a test signing secret
    retry_scale: float = 1.0
    seed: int = 1
    webhook_max_attempts: int = 4
    dunning_retry_days: tuple[int, ...] = (3, 5, 7)
    dunning_final_action: DunningFinalAction = "unpaid"
    invoice_prefix: str = "PEEP"
    api_version: str = DEFAULT_API_VERSION
