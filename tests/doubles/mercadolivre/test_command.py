"""``manage.py ml_sandbox`` serves until interrupted and stops without a traceback."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.conf import settings

MANAGE = Path(settings.BASE_DIR) / "manage.py"


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_command_serves_and_stops_cleanly(stop_signal):
    process = subprocess.Popen(
        [
            sys.executable,
            str(MANAGE),
            "ml_sandbox",
            "--port",
            "0",
            "--sellers",
            "2",
            "--items",
            "5",
            "--no-notify",
            "--latency-ms",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "DJANGO_ENV": "test"},
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.split(" on ", 1)[1].split()[0]
        state = httpx.get(
            f"{url}/_sandbox/state",
            headers={"Authorization": f"Bearer {settings.ML_CLIENT_SECRET}"},
            timeout=10,
        ).json()
        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert line.startswith("ML sandbox on http://127.0.0.1:")
    for seller in state["sellers"]:
        assert f"{seller['id']} {seller['nickname']}" in line
    assert state["faults"]["latency_ms"] == 1
    assert state["notifications"]["webhook_url"] is None
    assert process.returncode == 0
    assert "Traceback" not in stderr
    assert "stopping" in stdout
