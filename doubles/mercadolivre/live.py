"""The living sandbox: buyers act on their own, one action every ``live_seconds`` or so.

Each action goes through ``events.event_apply`` (what ``POST /_sandbox/events`` runs), so it is
dated, drawn and notified as those events are. ML notifies only applications a seller
authorized: a tick with no seller holding a grant does nothing.
"""

from __future__ import annotations

import logging
import threading
from random import Random

from doubles.mercadolivre.events import SHIPMENT_NEXT, event_apply
from doubles.mercadolivre.records import Order, Seller
from doubles.mercadolivre.state import SandboxState

logger = logging.getLogger(__name__)

# A buyer's next move and how often it comes; a new paid order most often.
BUYER_ACTIONS = {"order_paid": 55, "order_awaiting_payment": 10, "question": 20, "order_moves": 15}
JITTER = 0.2
# An order that moves on is one of the seller's latest few, not one from months ago.
RECENT_ORDERS = 10


class LiveBuyers:
    """The thread behind ``live_seconds``: started after the server, stopped with it."""

    thread_name = "ml-sandbox-live"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._rng = Random(f"live:{state.config.seed}")  # noqa: S311 - simulation, not secrets
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.state.config.live_seconds <= 0 or self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        seconds = self.state.config.live_seconds
        while not self._stopping.wait(seconds * self._rng.uniform(1 - JITTER, 1 + JITTER)):
            try:
                self.act()
            except Exception:  # the thread lives on; the next tick tries again
                logger.exception("ML sandbox live: a buyer action failed")

    def act(self) -> str | None:
        """One buyer action for a seller who authorized the application; returns the resource
        it changed, None when no seller has."""
        state = self.state
        with state.lock:
            authorized = state.oauth.sellers_authorized(state.config.client_id)
            sellers = [s for s in map(state.seller, authorized) if s is not None]
            if not sellers:
                return None
            seller = self._rng.choice(sellers)
            action = self._rng.choices(list(BUYER_ACTIONS), list(BUYER_ACTIONS.values()))[0]
            body: dict[str, object] = {"seller_id": seller.id}
            if action == "question":
                body["type"] = "question_created"
                what, kind = "a buyer asked a question", "questions"
            else:
                kind = "orders"
                order = self._order_to_move(seller) if action == "order_moves" else None
                if order is not None:
                    body |= {"type": "order_updated", "order_id": order.id}
                    what = "a buyer paid" if order.status == "confirmed" else "a shipment moved on"
                elif action == "order_awaiting_payment":
                    body |= {"type": "order_created", "status": "confirmed"}
                    what = "a buyer ordered (awaiting payment)"
                else:
                    body["type"] = "order_created"
                    what = "a buyer ordered and paid"
            changed = event_apply(state, body=body)
            state.live_actions += 1
        resource = f"/{kind}/{changed['id']}"
        logger.info("ML sandbox live: %s: %s, %s", seller.nickname, what, resource)
        return resource

    def _order_to_move(self, seller: Seller) -> Order | None:
        """A recent order awaiting payment, else one paid whose shipment can move on."""
        orders = [o for o in self.state.dataset.orders.values() if o.seller_id == seller.id]
        awaiting = [o for o in orders if o.status == "confirmed"]
        shipments = self.state.dataset.shipments
        movable = awaiting or [
            o for o in orders if o.is_paid and shipments[o.shipment_id].status in SHIPMENT_NEXT
        ]
        recent = sorted(movable, key=lambda o: o.date_created)[-RECENT_ORDERS:]
        return self._rng.choice(recent) if recent else None
