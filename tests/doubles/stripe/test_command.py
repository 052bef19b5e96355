"""``manage.py stripe_emulator`` serves until interrupted, logs requests, stops cleanly."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from django.conf import settings

from .flows import ADMIN_HEADERS

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def test_command_serves_logs_requests_and_stops_on_interrupt():
    process = subprocess.Popen(
        [
            sys.executable,
            str(MANAGE),
            "stripe_emulator",
            "--port",
            "0",
            "--webhook-url",
            "http://127.0.0.1:9/api/webhook/stripe",
            "--webhook-secret",
            "whsec_cmd",
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
        state = httpx.get(f"{url}/_emulator/state", headers=ADMIN_HEADERS, timeout=10).json()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert line.startswith("Stripe emulator on http://127.0.0.1:")
    assert "webhooks: http://127.0.0.1:9/api/webhook/stripe" in line
    assert state["webhooks"]["url"] == "http://127.0.0.1:9/api/webhook/stripe"
    assert "GET /_emulator/state 200" in stdout
    assert "Stripe emulator stopping" in stdout
    assert process.returncode == 0
    assert "Traceback" not in stderr
