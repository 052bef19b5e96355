"""Sandbox data is a function of the seed: same seed, same bytes over HTTP."""

import httpx

from doubles.mercadolivre import SandboxConfig, SandboxServer
from tests.doubles.mercadolivre.flows import bearer, tokens_for


def _everything_served(config: SandboxConfig) -> list[bytes]:
    """Every item (multiget), order page and question page of every seller, as raw bodies."""
    bodies: list[bytes] = []
    with SandboxServer(config) as server, httpx.Client(base_url=server.url) as client:
        for seller in server.state.sellers:
            headers = bearer(tokens_for(client, seller.id))
            ids = client.get(
                f"/users/{seller.id}/items/search", params={"limit": 100}, headers=headers
            ).json()["results"]
            for start in range(0, len(ids), 20):
                chunk = ",".join(ids[start : start + 20])
                bodies.append(client.get("/items", params={"ids": chunk}, headers=headers).content)
            bodies.append(
                client.get("/orders/search", params={"seller": seller.id}, headers=headers).content
            )
            bodies.append(
                client.get(
                    "/questions/search", params={"seller_id": seller.id}, headers=headers
                ).content
            )
            bodies.append(client.get(f"/users/{seller.id}", headers=headers).content)
    return bodies


def test_same_seed_serves_identical_bytes():
    config = SandboxConfig(sellers=2, items=60, orders=20, questions=10, seed=42)

    first, second = _everything_served(config), _everything_served(config)

    assert len(first) == 2 * 6
    assert first == second


def test_another_seed_serves_other_data():
    one = _everything_served(SandboxConfig(sellers=1, items=20, orders=5, questions=5, seed=1))
    two = _everything_served(SandboxConfig(sellers=1, items=20, orders=5, questions=5, seed=2))

    assert one != two


def test_sellers_have_int64_ids_in_order(sandbox_server):
    sellers = sandbox_server.state.sellers

    assert sellers[0].id == 2050442871
    assert [s.id for s in sellers] == sorted({s.id for s in sellers})
    assert all(s.id >= 2**31 for s in sellers[1:])
    assert len({s.nickname for s in sellers}) == len(sellers) == 3


def test_generated_data_stays_in_2026_and_is_mostly_active(sandbox_server):
    dataset = sandbox_server.state.dataset
    items = list(dataset.items.values())

    assert len(items) == 3 * 120
    assert len(dataset.orders) == 3 * 60
    assert len(dataset.questions) == 3 * 40
    assert all(i.date_created.year == 2026 and i.last_updated.year == 2026 for i in items)
    assert sum(i.status == "active" for i in items) > len(items) / 2
    assert {i.status for i in items} == {"active", "paused", "closed"}
    assert all(o.id >= 2000010000000000 for o in dataset.orders.values())
    for order in dataset.orders.values():
        assert {line.item_id for line in order.lines} <= {
            i.id for i in items if i.seller_id == order.seller_id
        }
        assert order.shipment_id in dataset.shipments
    assert any(q.answer for q in dataset.questions.values())
    assert any(q.answer is None for q in dataset.questions.values())
