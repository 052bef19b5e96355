"""``SandboxServer``: the sandbox as a real threaded HTTP server in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from integrations.mercadolivre.sandbox.app import SandboxApp
from integrations.mercadolivre.sandbox.state import SandboxConfig, SandboxState

START_TIMEOUT_SECONDS = 5.0


class _QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without the per-request access log (tests make thousands)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SandboxServer:
    """Serve a ``SandboxState`` over HTTP; ``port=0`` picks a free port."""

    def __init__(
        self,
        config: SandboxConfig,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_requests: bool = False,
    ) -> None:
        self.config = config
        self.state = SandboxState(config)
        self.app = SandboxApp(self.state)
        self._host = host
        self._port = port
        self._log_requests = log_requests
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox server is not started")
        return self._server.port

    @property
    def host(self) -> str:
        """Where clients connect: the bound address, loopback for a wildcard bind."""
        return "127.0.0.1" if self._host in ("", "0.0.0.0") else self._host  # noqa: S104

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        """Bind, serve in a background thread and return once connections are accepted."""
        if self._server is not None:
            raise RuntimeError("the sandbox server is already started")
        self._server = make_server(
            self._host,
            self._port,
            self.app,
            threaded=True,
            request_handler=None if self._log_requests else _QuietRequestHandler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"ml-sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self.state.notifier.start()
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
        """Stop serving, close the socket and stop the notifier (pending sends are dropped)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()
        self.state.notifier.stop()
        self._server = self._thread = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
