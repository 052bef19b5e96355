"""What the emulator tests share: the admin client, a webhook receiver and common set-ups."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import stripe

from tests.support.waiting import wait_until

SECRET_KEY = "sk_test_emulator"
WEBHOOK_SECRET = "whsec_emulator_tests"
ADMIN_HEADERS = {"Authorization": f"Bearer {SECRET_KEY}"}
DAY = 86400


def stripe_client(url: str) -> stripe.StripeClient:
    """The real SDK pointed at the emulator; no SDK retries, so each fault is seen once."""
    return stripe.StripeClient(
        SECRET_KEY,
        base_addresses={"api": url, "connect": url, "files": url},
        max_network_retries=0,
    )


class Admin:
    """``/_emulator/*`` over HTTP."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def get(self, path: str) -> Any:
        response = self.http.get(f"/_emulator/{path}", headers=ADMIN_HEADERS)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any] | None = None, *, status: int = 200) -> Any:
        response = self.http.post(f"/_emulator/{path}", json=body or {}, headers=ADMIN_HEADERS)
        assert response.status_code == status, response.text
        return response.json()

    def advance(self, seconds: int) -> dict[str, Any]:
        return dict(self.post("advance", {"seconds": seconds}))

    def now(self) -> int:
        return int(self.get("state")["clock"]["now"])


@dataclass
class Received:
    headers: dict[str, str]
    body: str

    @property
    def event(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    """A tiny webhook endpoint: records every POST and answers the next scripted status."""

    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}/webhook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                with receiver.lock:
                    receiver.received.append(Received(dict(self.headers.items()), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def events(self, type_: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            found = [r.event for r in self.received]
        return [e for e in found if type_ is None or e["type"] == type_]

    def wait_for(self, check: Callable[[], bool], timeout: float = 5.0) -> None:
        wait_until(
            check,
            timeout=timeout,
            every=0.01,
            message=lambda: f"timed out; received {[e['type'] for e in self.events()]}",
        )


@dataclass
class Plan:
    product: Any
    price: Any


def plan(
    client: stripe.StripeClient,
    name: str,
    amount: int,
    *,
    interval: str = "month",
    family: str = "peepers",
) -> Plan:
    product = client.v1.products.create(params={"name": name})
    price = client.v1.prices.create(
        params={
            "product": product.id,
            "unit_amount": amount,
            "currency": "brl",
            "recurring": {"interval": interval},
            "metadata": {"family": family},
        }
    )
    return Plan(product, price)


def paying_customer(client: stripe.StripeClient, test_card: str = "pm_card_visa") -> Any:
    """A customer whose default payment method is made from the test token ``test_card``."""
    customer = client.v1.customers.create(params={"email": "owner@a.example.com"})
    method = client.v1.payment_methods.attach(test_card, params={"customer": customer.id})
    return client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": method.id}}
    )


def subscribe(client: stripe.StripeClient, customer: Any, price: Any, **extra: Any) -> Any:
    params: Any = {"customer": customer.id, "items": [{"price": price.id}], **extra}
    return client.v1.subscriptions.create(params=params)


def event_types(client: stripe.StripeClient) -> list[str]:
    """Every event's type, oldest first."""
    events = client.v1.events.list(params={"limit": 100})
    return [e.type for e in reversed(events.data)]


def invoice_intent(client: stripe.StripeClient, invoice_id: str) -> str:
    """The PaymentIntent paying an invoice: its invoice payment's, as the pinned API version
    tells it (``invoice.payment_intent`` no longer exists)."""
    invoice = client.v1.invoices.retrieve(invoice_id, params={"expand": ["payments"]})
    assert invoice.payments is not None  # expanded
    return str(invoice.payments.data[0].payment.payment_intent)


def period_end(sub: Any) -> int:
    """The end of a subscription's current period (kept on its item in the pinned version)."""
    return int(sub["items"].data[0].current_period_end)


def invoice_tax(invoice: Any) -> int:
    return sum(int(t.amount) for t in invoice.total_taxes or [])
