"""``StripeEmulator``: the emulator served over real HTTP by the doubles' harness."""

from __future__ import annotations

from doubles.harness import DoubleServer, RequestLog
from doubles.stripe.app import EmulatorApp
from doubles.stripe.config import EmulatorConfig
from doubles.stripe.state import EmulatorState


class StripeEmulator(DoubleServer):
    """Serve an ``EmulatorState`` over HTTP; ``port=0`` picks a free port.

    ``url`` is the API base for ``stripe.StripeClient(base_addresses={"api": url})`` and also
    the hosted pages' origin (``state.base_url``).
    """

    name = "Stripe emulator"

    def __init__(
        self,
        config: EmulatorConfig,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        request_log: RequestLog | None = None,
    ) -> None:
        self.config = config
        self.state = EmulatorState(config)
        self.app = EmulatorApp(self.state)
        super().__init__(
            self.app, host, port, background=(self.state.webhooks,), request_log=request_log
        )

    def bound(self) -> None:
        self.state.base_url = self.url
