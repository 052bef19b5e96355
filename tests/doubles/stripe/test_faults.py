"""Injected faults: outages answer 503 HTML, random 429s/500s repeat with the seed."""

import pytest
import stripe


def rate_limited_pattern(client, admin, requests=20):
    admin.post("faults", {"rate_limit_fraction": 0.3})
    pattern = []
    for _ in range(requests):
        try:
            client.v1.customers.list()
            pattern.append(False)
        except stripe.RateLimitError:
            pattern.append(True)
    return pattern


def test_outage_answers_503_to_the_api_and_pages_but_not_admin(client, admin, http):
    admin.post("faults", {"outage": True})

    with pytest.raises(stripe.APIError) as failed:
        client.v1.customers.list()
    page = http.get("/checkout/cs_test_x")
    state = admin.get("state")
    admin.post("faults", {"outage": False})

    assert failed.value.http_status == 503
    assert page.status_code == 503
    assert "Service Temporarily Unavailable" in page.text
    assert state["faults"]["outage"] is True
    assert client.v1.customers.list().data == []


def test_random_rate_limits_repeat_with_the_seed(client, admin):
    first = rate_limited_pattern(client, admin)
    admin.post("reset")
    second = rate_limited_pattern(client, admin)

    assert first == second
    assert 0 < sum(first) < len(first)


def test_random_server_errors_are_api_errors(client, admin):
    admin.post("faults", {"error_fraction": 1.0})

    with pytest.raises(stripe.APIError) as failed:
        client.v1.products.create(params={"name": "Pro"})

    assert failed.value.http_status == 500
    admin.post("faults", {"error_fraction": 0})
    assert client.v1.products.list().data == []


def test_bad_fault_settings_are_refused(admin):
    refused = admin.post("faults", {"error_fraction": 2}, status=400)

    assert refused["error"]["param"] == "error_fraction"
