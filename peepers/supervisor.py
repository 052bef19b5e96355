"""Runs the processes of ``make dev`` / ``make serve`` side by side, with prefixed logs.

A process that ends on its own is restarted after a delay that doubles with each crash in a row
(2 s, 4 s, ... up to a minute) and starts again from 2 s once it has stayed up for a minute, so
one crashed worker never takes the web server down with it.

SIGINT or SIGTERM stop them all, warmly: SIGTERM goes to each program's main process only, which
stops its own children in order (gunicorn's master lets requests in flight finish, Celery's lets
running tasks finish); a program still running after the grace period gets its ``hurry`` signal,
if it has one, and a few seconds more; then SIGKILL goes to whatever is left in its process group.
A pool child or gunicorn worker signalled directly would die in the middle of its work.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType
from typing import IO, TextIO

FIRST_RESTART_DELAY_SECONDS = 2.0
MAX_RESTART_DELAY_SECONDS = 60.0
# A process up this long counts as healthy again: its next crash restarts it after 2 s.
STABLE_AFTER_SECONDS = 60.0
# Longer than gunicorn's graceful timeout (peepers/run.py: its master kills late workers then and
# exits) and than a Mercado Livre token refresh in a task (3 s to connect, 10 s to read:
# integrations/mercadolivre/transport.py), so a refresh under way when stopping begins is saved.
STOP_GRACE_SECONDS = 30.0
# After the ``hurry`` signal: time to cut work short and exit cleanly, before SIGKILL.
HURRY_SECONDS = 10.0
SYSTEM = "system"


@dataclass
class _Program:
    name: str
    command: list[str]
    hurry: signal.Signals | None = None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    delay: float = FIRST_RESTART_DELAY_SECONDS
    readers: list[threading.Thread] = field(default_factory=list)


def exit_description(returncode: int) -> str:
    """``exited with code 1`` or ``was killed by SIGKILL`` (Popen gives -N for signal N)."""
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


class Supervisor:
    """Start every added program, restart the ones that end, stop them all on a signal."""

    def __init__(
        self,
        *,
        output: TextIO | None = None,
        first_delay: float = FIRST_RESTART_DELAY_SECONDS,
        max_delay: float = MAX_RESTART_DELAY_SECONDS,
        stable_after: float = STABLE_AFTER_SECONDS,
        grace: float = STOP_GRACE_SECONDS,
    ) -> None:
        if first_delay <= 0 or max_delay < first_delay:
            raise ValueError("restart delays must be positive, the maximum at least the first")
        self._output = output if output is not None else sys.stdout
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._stable_after = stable_after
        self._grace = grace
        self._programs: dict[str, _Program] = {}
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self._width = len(SYSTEM)

    def add(
        self, name: str, command: Sequence[str], *, hurry: signal.Signals | None = None
    ) -> None:
        """``hurry``: the signal that tells the program, once the grace period is over, to cut
        its work short and exit cleanly (Celery's cold shutdown); without one, SIGKILL."""
        if name in self._programs:
            raise ValueError(f"a program named {name!r} is already added")
        if not command:
            raise ValueError(f"program {name!r} has an empty command")
        self._programs[name] = _Program(name, list(command), hurry, delay=self._first_delay)
        self._width = max(self._width, len(name))

    def request_stop(self) -> None:
        self._stop.set()

    def run(self) -> int:
        """Run until SIGINT/SIGTERM (or ``request_stop``); 0 once every program has stopped."""
        previous = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            for program in self._programs.values():
                self._start(program)
            while not self._stop.wait(0.2):
                now = time.monotonic()
                for program in self._programs.values():
                    self._tend(program, now)
            self._stop_all()
            return 0
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    # -- one program -------------------------------------------------------------------------

    def _tend(self, program: _Program, now: float) -> None:
        if program.process is not None:
            returncode = program.process.poll()
            if returncode is None:
                if now - program.started_at >= self._stable_after:
                    program.delay = self._first_delay
                return
            self._reap(program)
            if self._stop.is_set():
                return
            program.restart_at = now + program.delay
            self.say(
                f"{program.name} {exit_description(returncode)}; restarting in {program.delay:g} s"
            )
            program.delay = min(program.delay * 2, self._max_delay)
        elif program.restart_at is not None and now >= program.restart_at:
            self._start(program)

    def _start(self, program: _Program) -> None:
        program.restart_at = None
        try:
            # Its own session: a terminal's Ctrl-C reaches the supervisor only, which stops
            # the programs in order; and a program's whole tree can be signalled at once.
            process = subprocess.Popen(  # noqa: S603 - commands come from peepers.run
                program.command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            program.restart_at = time.monotonic() + program.delay
            self.say(f"{program.name} could not start ({exc}); retrying in {program.delay:g} s")
            program.delay = min(program.delay * 2, self._max_delay)
            return
        program.process = process
        program.started_at = time.monotonic()
        assert process.stdout is not None
        reader = threading.Thread(
            target=self._relay,
            args=(program.name, process.stdout),
            name=f"log-{program.name}",
            daemon=True,
        )
        reader.start()
        program.readers.append(reader)
        self.say(f"{program.name} started (pid {process.pid})")

    def _reap(self, program: _Program) -> None:
        process = program.process
        assert process is not None
        process.wait()
        # What the program left behind in its group (a pool child, a gunicorn worker) goes too.
        _signal_group(process.pid, signal.SIGKILL)
        for reader in program.readers:
            reader.join(timeout=2)
        program.readers = [reader for reader in program.readers if reader.is_alive()]
        program.process = None

    # -- stopping ----------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if not self._stop.is_set():
            self.say(f"{signal.Signals(signum).name} received; stopping every process")
        self._stop.set()

    def _stop_all(self) -> None:
        running = [p for p in self._programs.values() if p.process is not None]
        for program in running:
            assert program.process is not None
            if program.process.poll() is None:
                self.say(f"sending SIGTERM to {program.name} (pid {program.process.pid})")
                program.process.send_signal(signal.SIGTERM)
        late = self._wait_all(running, self._grace)
        hurried = [program for program in late if program.hurry is not None]
        for program in late:
            assert program.process is not None
            if program.hurry is None:
                self.say(f"{program.name} still running after {self._grace:g} s: SIGKILL")
                _signal_group(program.process.pid, signal.SIGKILL)
                self._finish(program)
            else:
                self.say(
                    f"{program.name} still running after {self._grace:g} s: {program.hurry.name}"
                )
                program.process.send_signal(program.hurry)
        for program in self._wait_all(hurried, HURRY_SECONDS):
            assert program.process is not None
            self.say(f"{program.name} still running after {HURRY_SECONDS:g} s more: SIGKILL")
            _signal_group(program.process.pid, signal.SIGKILL)
            self._finish(program)

    def _wait_all(self, programs: list[_Program], seconds: float) -> list[_Program]:
        """Wait up to ``seconds`` in all for ``programs`` to exit; finish those that did and
        return the others."""
        deadline = time.monotonic() + seconds
        late = []
        for program in programs:
            assert program.process is not None
            try:
                program.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                late.append(program)
            else:
                self._finish(program)
        return late

    def _finish(self, program: _Program) -> None:
        assert program.process is not None
        returncode = program.process.wait()
        self._reap(program)
        self.say(f"{program.name} stopped ({exit_description(returncode)})")

    # -- output ------------------------------------------------------------------------------

    def say(self, message: str) -> None:
        self._write(SYSTEM, message)

    def stream(self, name: str) -> io.TextIOBase:
        """A text stream whose lines show under ``name``, as a program's do: for work done on
        a thread of this process. It is no terminal, so progress comes as lines, not redraws."""
        self._width = max(self._width, len(name))
        return _Lines(lambda line: self._write(name, line))

    def _relay(self, name: str, stream: IO[bytes]) -> None:
        with stream:
            for raw in iter(stream.readline, b""):
                self._write(name, raw.decode("utf-8", errors="replace").rstrip("\r\n"))

    def _write(self, name: str, line: str) -> None:
        stamp = datetime.now().strftime("%H:%M:%S")  # local time, for a person
        with self._write_lock:
            self._output.write(f"{stamp} {name:<{self._width}} | {line}\n")
            self._output.flush()


class _Lines(io.TextIOBase):
    """Text written to it, handed on a line at a time (a carriage return ends a line too)."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        super().__init__()
        self._emit = emit
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text.replace("\r\n", "\n").replace("\r", "\n")
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if line:
                self._emit(line)
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._emit(self._pending)
            self._pending = ""


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
