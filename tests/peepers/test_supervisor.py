"""The process supervisor of ``make dev``/``make serve``: restarts what crashes, with backoff,
and stops everything (and everything they started) on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from peepers.supervisor import Supervisor, exit_description
from tests.support.processes import BASE_DIR
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
    """A supervisor in a process of its own (signal handlers belong to a main thread)."""
    script = textwrap.dedent(
        f"""
        import sys
        from peepers.supervisor import Supervisor
        supervisor = Supervisor(**{json.dumps(options)})
        for name, code in {json.dumps(programs)}.items():
            supervisor.add(name, [sys.executable, "-c", code])
        sys.exit(supervisor.run())
        """
    )
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-c", script], cwd=BASE_DIR, stdout=sink, stderr=subprocess.STDOUT
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
