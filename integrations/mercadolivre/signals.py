"""Signals the Mercado Livre integration sends for others (operations) to act on."""

from __future__ import annotations

from django.dispatch import Signal

# A refresh interrupted after its request may have reached ML was followed by ``invalid_grant``:
# the store lost its connection to our failure. Sent with ``schema``, ``ml_user_id``,
# ``started_at`` (when the interrupted refresh began) and ``message`` (ML's answer).
refresh_interrupted = Signal()
