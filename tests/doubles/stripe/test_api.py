"""The API surface through the real SDK: objects, errors, idempotency, lists, auth."""

import pytest
import stripe

from .flows import SECRET_KEY, paying_customer, plan


def test_catalogue_and_customer_round_trip(client):
    pro = plan(client, "Pro", 4990)
    customer = client.v1.customers.create(
        params={"email": "owner@a.example.com", "metadata": {"tenant_id": "42"}}
    )

    price = client.v1.prices.retrieve(pro.price.id)
    assert pro.product.id.startswith("prod_")
    assert client.v1.products.retrieve(pro.product.id).name == "Pro"
    assert (price.unit_amount, price.currency, price.recurring.interval) == (4990, "brl", "month")
    fetched = client.v1.customers.retrieve(customer.id)
    assert fetched.email == "owner@a.example.com"
    assert fetched.metadata.to_dict() == {"tenant_id": "42"}
    found = client.v1.customers.search(params={"query": "metadata['tenant_id']:'42'"})
    assert [c.id for c in found.data] == [customer.id]


def test_idempotent_replay_returns_the_first_result(client, http):
    options = {"idempotency_key": "tenant:1:customer"}
    first = client.v1.customers.create(params={"email": "a@example.com"}, options=options)
    again = client.v1.customers.create(params={"email": "a@example.com"}, options=options)

    assert again.id == first.id
    assert len(client.v1.customers.list().data) == 1
    raw = http.post(
        "/v1/customers",
        data={"email": "a@example.com"},
        headers={"Authorization": f"Bearer {SECRET_KEY}", "Idempotency-Key": "tenant:1:customer"},
    )
    assert raw.headers["Idempotent-Replayed"] == "true"


def test_idempotency_key_reused_with_other_parameters_is_refused(client):
    options = {"idempotency_key": "tenant:2:customer"}
    client.v1.customers.create(params={"email": "a@example.com"}, options=options)

    with pytest.raises(stripe.IdempotencyError, match="same parameters"):
        client.v1.customers.create(params={"email": "b@example.com"}, options=options)


def test_unknown_id_and_unknown_parameter_are_invalid_requests(client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.customers.retrieve("cus_nope")
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.customers.create(params={"colour": "blue"})

    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"
    assert unknown.value.code == "parameter_unknown"
    assert unknown.value.param == "colour"


def test_requests_without_a_test_key_are_refused(http):
    assert http.get("/v1/customers").status_code == 401
    live = http.get("/v1/customers", headers={"Authorization": "Bearer sk_live_x"})
    assert live.status_code == 401


def test_lists_page_newest_first(client):
    ids = [client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(5)]

    first = client.v1.customers.list(params={"limit": 2})
    rest = client.v1.customers.list(params={"limit": 10, "starting_after": first.data[-1].id})

    assert [c.id for c in first.data] == ids[::-1][:2]
    assert first.has_more
    assert [c.id for c in rest.data] == ids[::-1][2:]


def test_subscription_expands_its_latest_invoice_and_its_payments(client):
    pro = plan(client, "Pro", 4990)
    customer = paying_customer(client)

    sub = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [{"price": pro.price.id}],
            "expand": ["latest_invoice.payments.data.payment.payment_intent"],
        }
    )

    assert sub.status == "active"
    assert sub.latest_invoice.status == "paid"
    assert sub.latest_invoice.payments.data[0].payment.payment_intent.status == "succeeded"


def test_admin_routes_need_a_test_key(http):
    assert http.get("/_emulator/state").status_code == 401
