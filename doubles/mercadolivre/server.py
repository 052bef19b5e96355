"""``SandboxServer``: the sandbox served over real HTTP by the doubles' harness."""

from __future__ import annotations

from doubles.harness import DoubleServer, RequestLog
from doubles.mercadolivre.app import SandboxApp
from doubles.mercadolivre.live import LiveBuyers
from doubles.mercadolivre.state import SandboxConfig, SandboxState


class SandboxServer(DoubleServer):
    """Serve a ``SandboxState`` over HTTP; ``port=0`` picks a free port."""

    name = "ML sandbox"

    def __init__(
        self,
        config: SandboxConfig,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        request_log: RequestLog | None = None,
    ) -> None:
        self.config = config
        self.state = SandboxState(config)
        self.app = SandboxApp(self.state)
        self.live = LiveBuyers(self.state)
        # The buyers stop before the notifier, so nothing they do is queued to a stopped sender.
        super().__init__(
            self.app,
            host,
            port,
            background=(self.live, self.state.notifier),
            request_log=request_log,
        )

    def stop(self) -> None:
        """Send any held token answer, then stop serving."""
        self.state.token_answers.release()
        super().stop()
