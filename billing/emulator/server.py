"""``StripeEmulator``: the emulator as a real threaded HTTP server in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from billing.emulator.app import EmulatorApp
from billing.emulator.config import EmulatorConfig
from billing.emulator.state import EmulatorState

START_TIMEOUT_SECONDS = 5.0

RequestLog = Callable[[str], None]


class _RequestHandler(WSGIRequestHandler):
    """Werkzeug's handler with the access log sent to the emulator's ``request_log`` (if any)
    instead of stderr: tests make thousands of requests, the command prints each one."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        sink: RequestLog | None = getattr(self.server, "request_log", None)
        if sink is not None:
            sink(f"{self.command} {self.path} {code}")


class StripeEmulator:
    """Serve an ``EmulatorState`` over HTTP; ``port=0`` picks a free port.

    ``url`` is the API base for ``stripe.StripeClient(base_addresses={"api": url})`` and also
    the hosted pages' origin (``state.base_url``).
    """

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
        self._host = host
        self._port = port
        self._request_log = request_log
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the Stripe emulator is not started")
        return self._server.port

    @property
    def host(self) -> str:
        """Where clients connect: the bound address, loopback for a wildcard bind."""
        return "127.0.0.1" if self._host in ("", "0.0.0.0") else self._host  # noqa: S104

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        """Bind, serve in a daemon thread, start the webhook sender; return once accepting."""
        if self._server is not None:
            raise RuntimeError("the Stripe emulator is already started")
        self._server = make_server(
            self._host, self._port, self.app, threaded=True, request_handler=_RequestHandler
        )
        self._server.request_log = self._request_log  # type: ignore[attr-defined]
        self.state.base_url = self.url
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"stripe-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self.state.webhooks.start()
        self._wait_until_accepting()

    def _wait_until_accepting(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self) -> None:
        """Stop serving and sending webhooks (what is still queued is dropped)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()
        self.state.webhooks.stop()
        self._server = self._thread = None

    def __enter__(self) -> StripeEmulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
