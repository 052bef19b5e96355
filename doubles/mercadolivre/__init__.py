"""A faithful, deterministic fake of the Mercado Livre API for development and tests.

Like Stripe's test mode: OAuth with PKCE, the seller resources Peepers reads, notifications
with ML's retries and quirks, and switchable faults. See ``SandboxServer`` and ``SandboxConfig``.
"""

from doubles.mercadolivre.faults import FaultSettings
from doubles.mercadolivre.server import SandboxServer
from doubles.mercadolivre.state import SandboxConfig

__all__ = ["FaultSettings", "SandboxConfig", "SandboxServer"]
