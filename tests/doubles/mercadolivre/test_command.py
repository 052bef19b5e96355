"""``manage.py ml_sandbox`` serves until interrupted and stops without a traceback."""

import signal
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

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


def _state(url: str) -> dict[str, Any]:
    return dict(
        httpx.get(
            f"{url}/_sandbox/state",
            headers={"Authorization": f"Bearer {settings.ML_CLIENT_SECRET}"},
            timeout=10,
        ).json()
    )


SMALL = ("ml_sandbox", "--port", "0", "--sellers", "1", "--items", "5", "--no-notify")


def test_command_serves_data_up_to_its_start_by_default():
    started = datetime.now(UTC).replace(microsecond=0)
    with command_serving(*SMALL) as served:
        state = _state(served.url)
    stopped = datetime.now(UTC)

    end = datetime.fromisoformat(state["calendar"]["end"])
    assert started <= end <= stopped
    assert started <= datetime.fromisoformat(state["event_clock"]) <= stopped
    assert f"data up to {end.isoformat()}" in served.line
    # DJANGO_ENV=test: ML_SANDBOX_LIVE_SECONDS defaults to 0.
    assert state["live"] == {"seconds": 0.0, "actions": 0}
    assert served.line.rstrip().endswith("buyers idle")


def test_command_fixed_calendar_and_no_live_buyers_serve_as_the_tests_replay():
    with command_serving(*SMALL, "--calendar", "fixed", "--live-seconds", "0") as served:
        state = _state(served.url)

    assert state["event_clock"].startswith("2026-11-01T00:00")
    assert state["calendar"] == {
        "start": "2026-01-01T00:00:00+00:00",
        "end": "2026-10-31T23:00:00+00:00",
    }
    assert state["live"] == {"seconds": 0.0, "actions": 0}
    assert "fixed calendar" in served.line


def test_command_live_seconds_option():
    with command_serving(*SMALL, "--live-seconds", "2.5") as served:
        state = _state(served.url)

    assert state["live"] == {"seconds": 2.5, "actions": 0}
    assert "a buyer acts every 2.5 s" in served.line
    assert served.returncode == 0


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (("--calendar", "yesterday"), "invalid choice"),
        (("--live-seconds", "-1"), "must be 0"),
        (("--live-seconds", "soon"), "invalid float"),
    ],
)
def test_command_refuses_bad_calendar_and_live_options(argv, error):
    with pytest.raises(CommandError, match=error):
        call_command("ml_sandbox", "--port", "0", *argv)
