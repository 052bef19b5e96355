"""What every local double is built on: its HTTP server, routing, sender thread and command.

A double is a ``DoubleApp`` (routes, outage and latency) over its own state, served by
``DoubleServer`` in a daemon thread; its webhook sender is a ``DeliveryWorker``;
``ServeDoubleCommand`` serves it until Ctrl-C once ``doubles.policy`` allows it. Provider formats
(errors, bodies, signatures, retry ladders) stay in each double.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from argparse import ArgumentParser
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, Self, TypeVar

import httpx
from django.core.management.base import BaseCommand, CommandError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from doubles.policy import double_refusal

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

START_TIMEOUT_SECONDS = 5.0

# What a proxy in front of the provider answers while it is down (nginx's page, byte for byte).
OUTAGE_PAGE = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
    "<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
    "</body>\r\n</html>\r\n"
)

RequestLog = Callable[[str], None]


# -- HTTP ---------------------------------------------------------------------------------------


def html_response(body: str, status: int = 200) -> Response:
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def is_admin_path(path: str, prefix: str) -> bool:
    """Whether ``path`` is one of the double's own control routes (``/_sandbox``...)."""
    return path == prefix or path.startswith(prefix + "/")


def outage_or_latency(*, outage: bool, latency_ms: int) -> Response | None:
    """The faults met before routing: an outage answers the proxy's 503 page, latency waits."""
    if outage:
        return html_response(OUTAGE_PAGE, 503)
    if latency_ms:
        time.sleep(latency_ms / 1000)
    return None


HandlerT = TypeVar("HandlerT")
KindT = TypeVar("KindT", bound=str)


@dataclass(frozen=True)
class Route(Generic[HandlerT, KindT]):
    """One route of a double: a Werkzeug path, its methods, its view and what kind it is."""

    path: str
    methods: tuple[str, ...]
    handler: HandlerT
    kind: KindT


RouteT = TypeVar("RouteT", bound=Route[Any, Any])


class RouteTable(Generic[RouteT]):
    """A double's routes, matched by Werkzeug in the order given."""

    def __init__(self, routes: Iterable[RouteT]) -> None:
        self._routes = {str(index): route for index, route in enumerate(routes)}
        self._map = Map(
            [
                Rule(route.path, endpoint=key, methods=list(route.methods))
                for key, route in self._routes.items()
            ]
        )

    def match(self, request: Request) -> tuple[RouteT, dict[str, str]] | None:
        """The route and its path arguments; None for an unknown path or method."""
        adapter = self._map.bind_to_environ(request.environ)
        try:
            key, args = adapter.match()
        except HTTPException:
            return None
        return self._routes[str(key)], {name: str(value) for name, value in args.items()}


class DoubleApp(Generic[RouteT]):
    """A double's WSGI callable: count, outage and latency, route, then the double's dispatch.

    Requests under ``admin_prefix`` (the double's own control routes) skip counting and faults.
    """

    admin_prefix: ClassVar[str]

    def __init__(self, routes: Iterable[RouteT]) -> None:
        self._routes = RouteTable(routes)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        if not is_admin_path(request.path, self.admin_prefix):
            self.count(request)
            outage, latency_ms = self.outage_and_latency()
            refused = outage_or_latency(outage=outage, latency_ms=latency_ms)
            if refused is not None:
                return refused
        matched = self._routes.match(request)
        if matched is None:
            return self.route_missing(request)
        route, args = matched
        return self.dispatch(request, route, args)

    def count(self, request: Request) -> None:
        """Record a request that is not an admin one."""

    def outage_and_latency(self) -> tuple[bool, int]:
        raise NotImplementedError

    def route_missing(self, request: Request) -> Response:
        raise NotImplementedError

    def dispatch(self, request: Request, route: RouteT, args: dict[str, str]) -> Response:
        raise NotImplementedError


# -- server -------------------------------------------------------------------------------------


class Background(Protocol):
    """What runs beside the server (a webhook sender): started after it, stopped after it."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class _RequestHandler(WSGIRequestHandler):
    """Werkzeug's handler with the access log sent to the server's ``request_log`` (if any)
    instead of stderr: tests make thousands of requests, the commands print each one."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        sink: RequestLog | None = getattr(self.server, "request_log", None)
        if sink is not None:
            sink(f"{self.command} {self.path} {code}")


class DoubleServer:
    """A double's WSGI app as a real threaded HTTP server in a daemon thread.

    ``port=0`` picks a free port. ``url`` is the API base clients use once started.
    """

    name: ClassVar[str] = "double"

    def __init__(
        self,
        app: WSGIApplication,
        host: str,
        port: int,
        *,
        background: Sequence[Background] = (),
        request_log: RequestLog | None = None,
    ) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._background = tuple(background)
        self._request_log = request_log
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"the {self.name} is not started")
        return self._server.port

    @property
    def host(self) -> str:
        """Where clients connect: the bound address, loopback for a wildcard bind."""
        return "127.0.0.1" if self._host in ("", "0.0.0.0") else self._host  # noqa: S104

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def bound(self) -> None:
        """Called once the port is known, before the first request is served."""

    def start(self) -> None:
        """Bind, serve in a daemon thread, start the background; return once accepting."""
        if self._server is not None:
            raise RuntimeError(f"the {self.name} is already started")
        self._server = make_server(
            self._host, self._port, self._app, threaded=True, request_handler=_RequestHandler
        )
        self._server.request_log = self._request_log  # type: ignore[attr-defined]
        self.bound()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"{self.name.lower().replace(' ', '-')}-{self.port}",
            daemon=True,
        )
        self._thread.start()
        for worker in self._background:
            worker.start()
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
        """Stop serving, close the socket and stop the background (queued sends are dropped)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()
        for worker in self._background:
            worker.stop()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


# -- webhook sender -----------------------------------------------------------------------------


def retry_delay(attempts: int, scale: float) -> float:
    """Seconds before the next attempt after ``attempts`` failed: 1, 2, 4... times ``scale``."""
    return float(2 ** (attempts - 1) * scale)


class DeliveryWorker:
    """The thread and HTTP client of a double's webhook sender; a no-op without a URL.

    Subclasses implement ``_run`` (loop until ``_stopping``, waiting on ``_condition``) and may
    release more in ``_drain``, which runs after the thread ends and before the client closes.
    """

    thread_name: ClassVar[str] = "double-sender"
    timeout_seconds: ClassVar[float] = 10.0

    def __init__(self, *, url: str | None, lock: threading.RLock | None = None) -> None:
        self.url = url
        self._condition = threading.Condition(lock)
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None

    def start(self) -> None:
        if self.url is None or self._thread is not None:
            return
        self._stopping = False
        self._client = httpx.Client(timeout=self.timeout_seconds)
        self._prepare()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sending; what is still queued is dropped (like the process going away)."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join()
        self._drain()
        if self._client is not None:
            self._client.close()
        self._thread = None
        self._client = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            raise RuntimeError(f"{self.thread_name} is not started")
        return self._client

    def _prepare(self) -> None:
        """Called by ``start`` before the thread runs."""

    def _drain(self) -> None:
        """Called by ``stop`` once the thread has ended."""

    def _run(self) -> None:
        raise NotImplementedError


# -- command ------------------------------------------------------------------------------------


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


ServerT = TypeVar("ServerT", bound=DoubleServer)


class ServeDoubleCommand(BaseCommand, Generic[ServerT]):
    """Serve one double until Ctrl-C or SIGTERM, if ``doubles.policy`` allows it here.

    Subclasses name the double, the API base settings it stands in for, its default port, and
    build its server; the command prints a one-line banner, then what ``request_log`` gets.
    """

    double: ClassVar[str]
    requires_system_checks: list[str] = []  # needs no database; starts in any state

    def api_bases(self) -> dict[str, str]:
        raise NotImplementedError

    def default_port(self) -> int:
        raise NotImplementedError

    def add_double_arguments(self, parser: ArgumentParser) -> None:
        """The double's own options, after ``--host`` and ``--port``."""

    def server(self, options: dict[str, Any]) -> ServerT:
        raise NotImplementedError

    def banner(self, server: ServerT) -> str:
        return f"{self.double} on {server.url}"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=self.default_port())
        self.add_double_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        refusal = double_refusal(
            double=self.double, api_bases=self.api_bases(), bind_host=options["host"]
        )
        if refusal:
            raise CommandError(refusal)
        server = self.server(options)
        try:
            server.start()
        except OSError as exc:
            raise CommandError(
                f"cannot serve on {options['host']}:{options['port']}: {exc}"
            ) from exc
        self.stdout.write(self.banner(server))
        self.stdout.flush()
        # Process managers stop with SIGTERM, and a shell's background job ignores SIGINT:
        # both end the way Ctrl-C does.
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stdout.write(f"{self.double} stopping")
        finally:
            server.stop()

    def request_line(self, line: str) -> None:
        """A ``request_log`` that prints each request as it is answered."""
        self.stdout.write(line)
        self.stdout.flush()
