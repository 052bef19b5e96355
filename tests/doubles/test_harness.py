"""The harness both doubles are served by: lifecycle, request log, routing and retry ladder."""

import httpx
import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from doubles.harness import Route, RouteTable, retry_delay
from doubles.mercadolivre import SandboxConfig, SandboxServer


def small_sandbox(**kwargs):
    return SandboxServer(SandboxConfig(sellers=1, items=1, orders=1, questions=1), **kwargs)


def test_a_started_double_refuses_a_second_start():
    with small_sandbox() as server, pytest.raises(RuntimeError, match="already started"):
        server.start()


def test_a_stopped_double_has_no_port_and_stops_twice_quietly():
    server = small_sandbox()
    with server:
        assert server.url == f"http://127.0.0.1:{server.port}"
    server.stop()
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.port


def test_the_request_log_gets_one_line_per_request():
    lines: list[str] = []
    with small_sandbox(request_log=lines.append) as server:
        httpx.get(f"{server.url}/sites/MLB/nothing", timeout=5)

    assert lines == ["GET /sites/MLB/nothing 404"]


def test_routes_match_in_order_with_their_arguments():
    first = Route("/items/<id>", ("GET",), "get", "api")
    second = Route("/items/<id>", ("POST",), "post", "api")
    table = RouteTable([first, second])

    def match(method, path):
        return table.match(Request(EnvironBuilder(method=method, path=path).get_environ()))

    assert match("GET", "/items/MLB1") == (first, {"id": "MLB1"})
    assert match("POST", "/items/MLB1") == (second, {"id": "MLB1"})
    assert match("DELETE", "/items/MLB1") is None
    assert match("GET", "/orders") is None


def test_retries_wait_twice_as_long_each_time_scaled():
    assert [retry_delay(n, 0.5) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
