"""The development demo: its stores and logins (``seed_demo`` creates them; production refuses).

The first store is connected to a sandbox seller and synced by ``demo_connect`` on every
``make dev``; the second stays unconnected, to show a new store's empty states and checklist.
"""

from __future__ import annotations

from dataclasses import dataclass

# Development-only logins, printed on every `make dev`.
DEMO_PASSWORD = "peepers-demo"  # noqa: S105
STAFF_EMAIL = "staff@peepers.localhost"


@dataclass(frozen=True)
class DemoStore:
    slug: str
    name: str
    owner: str
    plan_code: str


DEMO_STORE = DemoStore(slug="demo", name="Loja Demo", owner="owner@demo.localhost", plan_code="pro")
NEW_STORE = DemoStore(
    slug="nova", name="Loja Nova", owner="owner@nova.localhost", plan_code="starter"
)
DEMO_STORES = (DEMO_STORE, NEW_STORE)
