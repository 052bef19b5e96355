"""A faithful, deterministic fake of the Mercado Livre API for development and tests.

Like Stripe's test mode: OAuth with PKCE, the seller resources Peepers reads, notifications
with ML's retries and quirks, and switchable faults. See ``SandboxServer`` and ``SandboxConfig``.
"""

from integrations.mercadolivre.sandbox.faults import FaultSettings
from integrations.mercadolivre.sandbox.server import SandboxServer
from integrations.mercadolivre.sandbox.state import SandboxConfig

__all__ = ["FaultSettings", "SandboxConfig", "SandboxServer"]
