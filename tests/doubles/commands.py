"""Running a double's management command as a real process, until a signal stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"


@dataclass
class Served:
    """The banner line and URL while serving; what it printed and its exit status after."""

    line: str
    url: str
    stdout: str = ""
    stderr: str = ""
    returncode: int | None = None


@contextmanager
def command_serving(*argv: str, stop_signal: int = signal.SIGINT) -> Iterator[Served]:
    """``manage.py <argv>`` serving; stopped with ``stop_signal`` when the block ends."""
    process = subprocess.Popen(
        [sys.executable, str(MANAGE), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "DJANGO_ENV": "test"},
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        served = Served(line=line, url=line.split(" on ", 1)[1].split()[0])
        yield served
        process.send_signal(stop_signal)
        served.stdout, served.stderr = process.communicate(timeout=30)
        served.returncode = process.returncode
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
