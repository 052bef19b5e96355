"""The Stripe emulator as billing tests drive it: admin calls, the customer's side, events."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import stripe as stripe_sdk

from billing.events import event_process
from billing.models import StripeEvent
from billing.webhook import event_parse, event_store

SECRET_KEY = "sk_test_peepers_tests"
WEBHOOK_SECRET = "whsec_peepers_tests"
ADMIN_HEADERS = {"Authorization": f"Bearer {SECRET_KEY}"}
DAY = 86400


@dataclass
class Stripe:
    """One emulator: ``admin`` for its clock and switches, ``sdk`` for the customer's side."""

    http: httpx.Client
    url: str
    seen: set[str] = field(default_factory=set)

    def admin(self, path: str, body: dict[str, Any] | None = None, *, status: int = 200) -> Any:
        response = self.http.post(f"/_emulator/{path}", json=body or {}, headers=ADMIN_HEADERS)
        assert response.status_code == status, response.text
        return response.json()

    def state(self) -> dict[str, Any]:
        response = self.http.get("/_emulator/state", headers=ADMIN_HEADERS)
        response.raise_for_status()
        return dict(response.json())

    def now(self) -> int:
        return int(self.state()["clock"]["now"])

    def advance(self, seconds: int) -> dict[str, Any]:
        return dict(self.admin("advance", {"seconds": seconds}))

    @property
    def sdk(self) -> stripe_sdk.StripeClient:
        return stripe_sdk.StripeClient(
            SECRET_KEY, base_addresses={"api": self.url}, max_network_retries=0
        )

    def events(self) -> list[dict[str, Any]]:
        """Every event the emulator emitted, oldest first (all pages)."""
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 100}
        while True:
            page = self.http.get("/v1/events", params=params, headers=ADMIN_HEADERS).json()
            found.extend(page["data"])
            if not page["has_more"]:
                break
            params["starting_after"] = page["data"][-1]["id"]
        return list(reversed(found))

    def new_events(self) -> list[dict[str, Any]]:
        fresh = [e for e in self.events() if e["id"] not in self.seen]
        self.seen.update(e["id"] for e in fresh)
        return fresh

    def deliver(self, events: list[dict[str, Any]]) -> list[str]:
        """Store and process ``events`` in the order given, as the webhook and worker would."""
        outcomes = []
        for event in events:
            row_id, _ = event_store(event_parse(json.dumps(event).encode()))
            outcomes.append(event_process(event_pk=row_id))
        return outcomes

    def deliver_new(self) -> list[str]:
        return self.deliver(self.new_events())

    def use_card(self, customer_id: str, token: str) -> None:
        """The customer's new default card (what the Portal's "update card" does)."""
        method = self.sdk.v1.payment_methods.attach(token, params={"customer": customer_id})
        self.sdk.v1.customers.update(
            customer_id, params={"invoice_settings": {"default_payment_method": method.id}}
        )


def event_statuses() -> dict[str, str]:
    return dict(StripeEvent.objects.values_list("event_id", "status"))
