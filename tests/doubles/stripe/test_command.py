"""``manage.py stripe_emulator`` serves until interrupted, logs requests, stops cleanly."""

import httpx

from tests.doubles.commands import command_serving

from .flows import ADMIN_HEADERS

WEBHOOK_URL = "http://127.0.0.1:9/api/webhook/stripe"


def test_command_serves_logs_requests_and_stops_on_interrupt():
    argv = ("stripe_emulator", "--port", "0", "--webhook-url", WEBHOOK_URL)
    with command_serving(*argv, "--webhook-secret", "whsec_cmd") as served:
        state = httpx.get(f"{served.url}/_emulator/state", headers=ADMIN_HEADERS, timeout=10).json()

    assert served.line.startswith("Stripe emulator on http://127.0.0.1:")
    assert f"webhooks: {WEBHOOK_URL}" in served.line
    assert state["webhooks"]["url"] == WEBHOOK_URL
    assert "GET /_emulator/state 200" in served.stdout
    assert "Stripe emulator stopping" in served.stdout
    assert served.returncode == 0
    assert "Traceback" not in served.stderr
