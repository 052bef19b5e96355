"""``manage.py ml_sandbox`` serves until interrupted and stops without a traceback."""

import signal

import httpx
import pytest
from django.conf import settings

from tests.doubles.commands import command_serving


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_command_serves_and_stops_cleanly(stop_signal):
    argv = ("ml_sandbox", "--port", "0", "--sellers", "2", "--items", "5", "--no-notify")
    with command_serving(*argv, "--latency-ms", "1", stop_signal=stop_signal) as served:
        state = httpx.get(
            f"{served.url}/_sandbox/state",
            headers={"Authorization": f"Bearer {settings.ML_CLIENT_SECRET}"},
            timeout=10,
        ).json()

    assert served.line.startswith("ML sandbox on http://127.0.0.1:")
    for seller in state["sellers"]:
        assert f"{seller['id']} {seller['nickname']}" in served.line
    assert state["faults"]["latency_ms"] == 1
    assert state["notifications"]["webhook_url"] is None
    assert served.returncode == 0
    assert "Traceback" not in served.stderr
    assert "stopping" in served.stdout
