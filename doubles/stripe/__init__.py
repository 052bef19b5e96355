"""A local, stateful fake of the Stripe API (Billing, Checkout, Portal, webhooks) for Peepers.

Like Stripe's test mode plus test clocks: the real ``stripe`` SDK talks to it over HTTP, time
moves only when asked (``POST /_emulator/advance``), webhooks are signed and retried, faults are
switchable. See ``StripeEmulator`` and ``EmulatorConfig``; admin routes live under ``/_emulator``.
"""

from doubles.stripe.config import EmulatorConfig
from doubles.stripe.server import StripeEmulator

__all__ = ["EmulatorConfig", "StripeEmulator"]
