"""``python -m peepers.run serve`` (``make serve``), run for real: production settings, gunicorn,
worker, beat and the bundled doubles, with nothing but what the README lists for it.

It comes up, answers the smoke test and the load balancer's probes (whatever the Host), keeps
every process up, brings a killed worker back, and stops cleanly on SIGTERM. It shares the
suite's embedded PostgreSQL and Redis (the ``peepers`` database and Redis databases 0-1, as
``make dev`` does; the suite uses ``test_peepers`` and 2-3).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from django.conf import settings

from peepers import embedded
from peepers.settings import redis_url_with_db
from tests.support.processes import BASE_DIR, free_port
from tests.support.waiting import hold_for, wait_until

STORE_SLUG = "demo"
STABLE_SECONDS = 15
ROLES = {
    "web": ("-m", "gunicorn"),
    "worker": ("-m", "celery", "-A", "peepers", "worker"),
    "beat": ("-m", "celery", "-A", "peepers", "beat"),
    "ml-sandbox": ("manage.py", "ml_sandbox"),
    "stripe": ("manage.py", "stripe_emulator"),
}


@dataclass
class Serve:
    process: subprocess.Popen[bytes]
    log: Path
    port: int
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self) -> str:
        return "\n".join(self.output().splitlines()[-60:])

    def roles(self) -> dict[str, psutil.Process]:
        """The top process of each role (not its pool children or gunicorn workers)."""
        found: dict[str, psutil.Process] = {}
        try:
            descendants = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return found
        for child in descendants:
            try:
                command = tuple(child.cmdline())
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
            for role, marker in ROLES.items():
                if _contains(command, marker) and role not in found:
                    found[role] = child
        return found

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []


def _contains(command: tuple[str, ...], marker: tuple[str, ...]) -> bool:
    return any(command[i : i + len(marker)] == marker for i in range(len(command)))


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _readme_environment(port: int) -> dict[str, str]:
    """The caller's environment without Django's mode, plus free ports: no secrets, no hosts."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DJANGO_ENV", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        PORT=str(port),
        ML_SANDBOX_PORT=str(free_port()),
        STRIPE_EMULATOR_PORT=str(free_port()),
        PEEPERS_DATA_DIR=str(settings.PEEPERS_DATA_DIR),
        PYTHONUNBUFFERED="1",
    )
    if os.environ.get("REDIS_URL"):
        # A Redis of the caller's: keep the serve's broker and cache off the suite's databases.
        env["REDIS_URL"] = redis_url_with_db(os.environ["REDIS_URL"], 6)
    return env


def _manage(serve: Serve, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """A management command beside the served stack: same database, broker and cache."""
    env = {**serve.env, "DJANGO_ENV": "development"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _get(serve: Serve, path: str, host: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{serve.port}{path}", headers={"Host": host}, timeout=10)


def _healthy(serve: Serve) -> bool:
    if serve.process.poll() is not None:
        pytest.fail(f"make serve exited with {serve.process.returncode}:\n{serve.tail()}")
    try:
        return _get(serve, "/api/health", f"localhost:{serve.port}").status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    port = free_port()
    env = _readme_environment(port)
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "peepers.run", "serve"],
            cwd=BASE_DIR,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Serve(process=process, log=log, port=port, env=env)
    seen: dict[int, psutil.Process] = {}
    try:
        yield running
    finally:
        for child in running.descendants():
            seen[child.pid] = child
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        for child in seen.values():
            if _alive(child):
                child.kill()
        if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
            # The runner stops the embedded servers only when nobody else uses them: the
            # suite does, so they must still run for the tests after this one.
            data_dir = Path(settings.PEEPERS_DATA_DIR)
            assert embedded.EmbeddedPostgres(data_dir / "postgres").is_running()
            assert embedded.EmbeddedRedis(data_dir / "redis").is_running()


def assert_all_alive(serve: Serve, roles: dict[str, psutil.Process]) -> None:
    assert serve.process.poll() is None, serve.tail()
    dead = [role for role, process in roles.items() if not _alive(process)]
    assert not dead, (dead, serve.tail())


def test_make_serve_comes_up_stays_up_restarts_a_killed_worker_and_stops_cleanly(serve: Serve):
    assert wait_until(lambda: _healthy(serve), timeout=300), serve.tail()
    # From here every process must stay up for STABLE_SECONDS, the checks below included.
    stable_until = time.monotonic() + STABLE_SECONDS
    roles = serve.roles()
    assert set(roles) == set(ROLES), (sorted(roles), serve.tail())
    # Benchmarks and smoke tests run against it: the sandbox's buyers stay still.
    assert wait_until(lambda: "buyers idle" in serve.output(), timeout=30), serve.tail()

    # Load balancers and Kubernetes probes send the server's own address as the Host.
    for path in ("/api/health", "/api/ping"):
        probe = _get(serve, path, f"10.1.2.3:{serve.port}")
        assert probe.status_code == 200, (path, probe.text)
        assert probe.json()["status"] == "ok"
    refused = _get(serve, "/admin/login/", f"10.1.2.3:{serve.port}")
    assert refused.status_code == 404
    assert refused.content == b""
    webhook = httpx.post(
        f"http://127.0.0.1:{serve.port}/api/webhook/mercado-livre",
        headers={"Host": f"10.1.2.3:{serve.port}"},
        content=b"{}",
        timeout=10,
    )
    assert webhook.status_code == 400

    # The store the smoke test renders: make dev's demo, in the database make dev shares.
    store = _manage(serve, "seed_demo")
    assert store.returncode == 0, store.stderr
    smoke = _manage(serve, "smoke_test", "--base-url", serve.url, "--tenant", STORE_SLUG)
    assert smoke.returncode == 0, smoke.stdout + smoke.stderr
    assert "smoke test passed" in smoke.stdout

    hold_for(stable_until - time.monotonic(), lambda: assert_all_alive(serve, roles), every=2)
    assert_all_alive(serve, roles)
    assert "restarting in" not in serve.output(), serve.tail()

    killed = roles["worker"]
    killed.send_signal(signal.SIGKILL)
    assert wait_until(
        lambda: "worker was killed by SIGKILL; restarting in 2 s" in serve.output(), timeout=30
    ), serve.tail()
    assert wait_until(
        lambda: "worker" in serve.roles() and serve.roles()["worker"].pid != killed.pid,
        timeout=60,
    ), serve.tail()
    sent = _manage(
        serve,
        "shell",
        "-c",
        "from operations.tasks import metrics_rollup_task as t; print(t.apply_async().id)",
    )
    assert sent.returncode == 0, sent.stderr
    task_id = sent.stdout.strip().splitlines()[-1]
    assert wait_until(lambda: f"[{task_id}] succeeded" in serve.output(), timeout=90), serve.tail()
    assert serve.process.poll() is None, serve.tail()

    descendants = serve.descendants()
    serve.process.send_signal(signal.SIGTERM)
    assert serve.process.wait(60) == 0, serve.tail()
    assert wait_until(lambda: not [p for p in descendants if _alive(p)], timeout=10), [
        p.pid for p in descendants if _alive(p)
    ]
