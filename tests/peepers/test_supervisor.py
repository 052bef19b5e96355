"""The process supervisor of ``make dev``/``make serve``: restarts what crashes, with backoff,
and stops everything (and everything they started) on SIGTERM, letting the requests and tasks in
flight finish first."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import redis
from django.conf import settings

from core.redis import broker_redis_client
from core.tasks import queue_keys
from integrations.mercadolivre.transport import TIMEOUT as ML_TIMEOUT
from peepers.run import (
    WEB_GRACEFUL_TIMEOUT_SECONDS,
    WORKER_HURRY,
    web_command,
    worker_command,
)
from peepers.supervisor import STOP_GRACE_SECONDS, Supervisor, exit_description
from tests.support import slow_wsgi
from tests.support.processes import child_environment, free_port, supervised
from tests.support.tasks import finished_key, sleep_then_record, started_key
from tests.support.waiting import wait_until

STEADY = "import time; print('steady up', flush=True); time.sleep(120)"
CRASHY = "import sys; sys.exit(3)"
# Ignores SIGTERM and leaves a grandchild in its group: only SIGKILL to the group ends both.
STUBBORN = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    print(f"grandchild {child.pid}", flush=True)
    time.sleep(120)
    """
)


def supervise(log: Path, programs: dict[str, str], **options: float) -> subprocess.Popen[bytes]:
    return supervised(
        log,
        {name: [sys.executable, "-c", code] for name, code in programs.items()},
        options=options,
    )


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "supervisor.log"


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def test_a_crashing_program_restarts_with_growing_delays_and_the_others_stay(log, started):
    supervisor = supervise(
        log, {"steady": STEADY, "crashy": CRASHY}, first_delay=0.2, max_delay=0.8
    )
    started.append(supervisor)

    expected = [
        "crashy exited with code 3; restarting in 0.2 s",
        "crashy exited with code 3; restarting in 0.4 s",
        "crashy exited with code 3; restarting in 0.8 s",
    ]
    assert wait_until(lambda: log.read_text().count("restarting in 0.8 s") >= 2, timeout=60), (
        log.read_text()
    )
    text = log.read_text()
    positions = [text.index(line) for line in expected]
    assert positions == sorted(positions)
    assert text.count("steady started") == 1
    assert supervisor.poll() is None

    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(30) == 0
    text = log.read_text()
    assert "SIGTERM received; stopping every process" in text
    assert "steady stopped (was killed by SIGTERM)" in text


def test_sigint_stops_everything_a_program_left_behind(log, started):
    supervisor = supervise(log, {"stubborn": STUBBORN}, grace=1.0)
    started.append(supervisor)
    assert wait_until(lambda: "grandchild" in log.read_text(), timeout=30), log.read_text()
    grandchild = int(log.read_text().split("grandchild ")[1].split()[0])
    stubborn = [p for p in psutil.Process(supervisor.pid).children() if p.pid != grandchild]

    supervisor.send_signal(signal.SIGINT)

    assert supervisor.wait(30) == 0
    assert "stubborn still running after 1 s: SIGKILL" in log.read_text()
    assert wait_until(lambda: not psutil.pid_exists(grandchild) or _zombie(grandchild), timeout=10)
    assert all(not p.is_running() or p.status() == psutil.STATUS_ZOMBIE for p in stubborn)


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_exit_descriptions():
    assert exit_description(0) == "exited with code 0"
    assert exit_description(1) == "exited with code 1"
    assert exit_description(-9) == "was killed by SIGKILL"
    assert exit_description(-15) == "was killed by SIGTERM"


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError, match="restart delays"):
        Supervisor(first_delay=0)
    supervisor = Supervisor()
    supervisor.add("web", ["true"])
    with pytest.raises(ValueError, match="already added"):
        supervisor.add("web", ["true"])
    with pytest.raises(ValueError, match="empty command"):
        supervisor.add("worker", [])


# -- stopping lets the work in flight finish ------------------------------------------------------


def worker_of_make_serve() -> list[str]:
    """``make serve``'s worker command, with the test-only tasks and a name of its own."""
    command = worker_command(sys.executable)
    return [*command, "--include", "tests.support.tasks", "--hostname", f"stop-{os.getpid()}@%h"]


def waiting_messages(queue: str) -> int:
    client = broker_redis_client()
    return sum(client.llen(key) for key in queue_keys(queue))


@pytest.mark.usefixtures("committed_db")
def test_stopping_lets_running_tasks_finish_within_the_grace_and_requeues_the_rest(log, started):
    """SIGTERM reaches the worker's main process only: a task that ends within the grace
    finishes (a group SIGTERM killed it mid-way); one still running after it is cut by a cold
    shutdown and waits in its queue again at once, not after Redis's visibility timeout."""
    supervisor = supervised(
        log,
        {"worker": worker_of_make_serve()},
        hurry={"worker": WORKER_HURRY.name},
        env=child_environment(),
        options={"grace": 3.0},
    )
    started.append(supervisor)
    short, long = uuid.uuid4().hex, uuid.uuid4().hex
    sent = sleep_then_record.delay(short, 1)
    sleep_then_record.delay(long, 60)
    results = redis.Redis.from_url(settings.REDIS_URL)
    wait_until(
        lambda: results.get(started_key(short)) and results.get(started_key(long)),
        timeout=60,
        message=lambda: f"the tasks never started:\n{log.read_text()}",
    )

    supervisor.send_signal(signal.SIGTERM)

    assert supervisor.wait(40) == 0, log.read_text()
    text = log.read_text()
    assert results.get(finished_key(short)) == b"1", text
    assert f"Task tests.sleep_then_record[{sent.id}] succeeded" in text
    assert "worker still running after 3 s: SIGQUIT" in text
    assert "SIGKILL" not in text
    assert results.get(finished_key(long)) is None
    assert waiting_messages("default") == 1, text


def test_stopping_lets_a_request_in_flight_finish(log, started):
    port = free_port()
    web = web_command(sys.executable, port=port, app="tests.support.slow_wsgi:app")
    supervisor = supervised(log, {"web": web}, env=child_environment())
    started.append(supervisor)

    def listening() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_until(
        listening, timeout=60, message=lambda: f"gunicorn never listened:\n{log.read_text()}"
    )
    with httpx.stream("GET", f"http://127.0.0.1:{port}/?seconds=3", timeout=30) as response:
        chunks = response.iter_raw()
        body = next(chunks)
        assert body == slow_wsgi.FIRST

        supervisor.send_signal(signal.SIGTERM)

        body += b"".join(chunks)
    assert response.status_code == 200
    assert body == slow_wsgi.FIRST + slow_wsgi.LAST
    assert supervisor.wait(40) == 0, log.read_text()
    assert "web stopped (exited with code 0)" in log.read_text()


def test_the_grace_outlasts_the_web_servers_and_a_token_refresh():
    # The longest a token refresh's one request may take: connect, send, wait for the answer.
    refresh = sum(part or 0 for part in (ML_TIMEOUT.connect, ML_TIMEOUT.write, ML_TIMEOUT.read))
    assert WEB_GRACEFUL_TIMEOUT_SECONDS + 5 < STOP_GRACE_SECONDS
    assert refresh + 5 < STOP_GRACE_SECONDS


def test_a_thread_s_output_shows_as_lines_under_its_name():
    """What make dev runs on a thread (demo_connect, the Stripe catalogue) prints like a
    program: a line at a time under its name, progress redraws as lines, never on a terminal."""
    output = io.StringIO()
    supervisor = Supervisor(output=output)
    supervisor.add("web", ["true"])
    stream = supervisor.stream("demo_connect")

    stream.write("items  [##....] 2/6\ritems  [######] 6/6")
    stream.write("\nconnected and synced")
    assert not stream.isatty()
    stream.flush()

    lines = [line.split(" ", 1)[1] for line in output.getvalue().splitlines()]
    assert lines == [
        "demo_connect | items  [##....] 2/6",
        "demo_connect | items  [######] 6/6",
        "demo_connect | connected and synced",
    ]
