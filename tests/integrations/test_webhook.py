"""POST /api/webhook/mercado-livre: checks at the edge, one insert, 200; duplicates absorbed."""

import json

import pytest
from django.test import Client

from integrations.mercadolivre.missed_feeds import missed_feed_body
from integrations.mercadolivre.webhook import notification_parse
from integrations.models import MLNotification

pytestmark = pytest.mark.django_db

URL = "/api/webhook/mercado-livre"


def notification(**overrides):
    body = {
        "_id": "f9f08571-1f65-4c46-9e0a-c0f43faa1557e",
        "resource": "/orders/2195160686",
        "user_id": 468424240,
        "topic": "orders_v2",
        "application_id": "peepers-sandbox-app",
        "attempts": 1,
        "sent": "2026-11-27T13:44:33.006Z",
        "received": "2026-11-27T13:44:32.984Z",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def post(body, *, raw=None, **extra):
    client = Client(HTTP_HOST="localhost")
    data = raw if raw is not None else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **extra)


def test_a_notification_is_stored_and_acknowledged():
    response = post(notification())

    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    row = MLNotification.objects.get()
    assert row.dedup_key == "ml:f9f08571-1f65-4c46-9e0a-c0f43faa1557e"
    assert (row.topic, row.resource, row.ml_user_id) == (
        "orders_v2",
        "/orders/2195160686",
        468424240,
    )
    assert row.status == "pending"
    assert row.sent_at.isoformat() == "2026-11-27T13:44:33.006000+00:00"


def test_a_duplicate_is_accepted_and_stored_once():
    assert post(notification()).status_code == 200
    again = post(notification(attempts=2))

    assert again.status_code == 200
    assert again.json() == {"status": "accepted"}
    assert MLNotification.objects.count() == 1


def test_without_an_id_a_redelivery_is_absorbed_whatever_its_sent_and_attempts():
    # ML's orders_v2, items and questions notifications carry no _id; a redelivery keeps
    # "received" and changes "sent" and "attempts".
    first = notification(_id=None)
    again = notification(_id=None, attempts=2, sent="2026-11-27T13:50:00.000Z")

    assert post(first).status_code == 200
    assert post(again).status_code == 200

    row = MLNotification.objects.get()
    assert row.dedup_key.startswith("ev:")
    assert row.attempts == 1


def test_without_an_id_a_new_event_on_the_same_resource_is_stored():
    post(notification(_id=None))
    post(notification(_id=None, received="2026-11-27T14:10:00.000Z", sent="2026-11-27T14:10:00Z"))

    assert MLNotification.objects.count() == 2


@pytest.mark.parametrize(
    "change",
    [
        {"topic": "items", "resource": "/items/MLB1"},
        {"resource": "/orders/2195160687"},
        {"user_id": 468424241},
        {"application_id": "another-app"},
    ],
    ids=["topic", "resource", "user_id", "application_id"],
)
def test_without_an_id_each_identifying_field_tells_events_apart(change):
    # Through the parser: the endpoint refuses another application_id before storing.
    one = notification_parse(notification(_id=None))
    other = notification_parse(notification(_id=None, **change))

    assert one.dedup_key != other.dedup_key


def test_ml_quirks_are_tolerated():
    response = post(
        {
            "id": "quirky-1",  # id instead of _id
            "resource": "questions/5036111111",  # no leading slash
            "user_id": "468424240",  # a string
            "topic": "questions",
            "application_id": "peepers-sandbox-app",
            "recieved": "2026-11-27T13:44:32.984Z",  # ML's misspelling
            "actions": ["question"],  # extra fields
        }
    )

    assert response.status_code == 200
    row = MLNotification.objects.get()
    assert row.dedup_key == "ml:quirky-1"
    assert row.resource == "/questions/5036111111"
    assert row.ml_user_id == 468424240
    assert row.ml_received_at is not None
    assert row.payload["actions"] == ["question"]


def test_an_unknown_topic_is_stored_and_ignored():
    assert post(notification(topic="vis_leads", resource="/vis/leads/1")).status_code == 200
    assert MLNotification.objects.get().status == "ignored"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (notification(topic=None), "missing field(s): topic"),
        (notification(user_id="abc"), "user_id"),
        (notification(user_id=True), "user_id"),
        (notification(resource=""), "resource"),
        ([1, 2, 3], "JSON object"),
    ],
)
def test_malformed_notifications_are_400(body, error):
    response = post(body)
    assert response.status_code == 400
    assert error in response.json()["error"]
    assert MLNotification.objects.count() == 0


def test_malformed_json_is_400():
    response = post(None, raw="{not json")
    assert response.status_code == 400
    assert response.json()["error"] == "malformed JSON"


def test_a_wrong_application_is_403():
    response = post(notification(application_id=123456))
    assert response.status_code == 403
    assert MLNotification.objects.count() == 0


def test_a_body_over_64_kib_is_413():
    response = post(notification(padding="x" * 70_000))
    assert response.status_code == 413
    assert MLNotification.objects.count() == 0


def test_only_post_is_allowed():
    assert Client(HTTP_HOST="localhost").get(URL).status_code == 405


def test_the_webhook_lives_on_the_public_host_only(tenant_a):
    client = Client(HTTP_HOST=tenant_a.get_primary_domain().domain)
    response = client.post(URL, data=json.dumps(notification()), content_type="application/json")
    assert response.status_code == 404


@pytest.fixture
def allowlist(settings):
    settings.ML_WEBHOOK_ALLOWED_IPS = ["54.88.218.97", "35.245.0.0/16"]
    return settings


def test_allowed_source_addresses_pass(allowlist):
    allowlist.ML_WEBHOOK_TRUSTED_PROXIES = 0
    assert post(notification(), REMOTE_ADDR="54.88.218.97").status_code == 200
    assert post(notification(_id="x2"), REMOTE_ADDR="35.245.91.34").status_code == 200


def test_other_source_addresses_are_403(allowlist):
    allowlist.ML_WEBHOOK_TRUSTED_PROXIES = 0
    response = post(notification(), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 403
    assert MLNotification.objects.count() == 0


def test_without_trusted_proxies_x_forwarded_for_is_ignored(allowlist):
    allowlist.ML_WEBHOOK_TRUSTED_PROXIES = 0
    response = post(notification(), REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="54.88.218.97")
    assert response.status_code == 403


def test_behind_one_proxy_the_address_it_saw_counts(allowlist):
    allowlist.ML_WEBHOOK_TRUSTED_PROXIES = 1
    ok = post(notification(), REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="54.88.218.97")
    assert ok.status_code == 200


def test_a_forged_x_forwarded_for_does_not_pass(allowlist):
    allowlist.ML_WEBHOOK_TRUSTED_PROXIES = 1
    # The sender wrote an allowed address; our proxy appended the one it really came from.
    response = post(
        notification(),
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="54.88.218.97, 203.0.113.7",
    )
    assert response.status_code == 403


def test_a_missed_feed_entry_has_the_key_of_the_delivery_it_stands_for():
    # NOTIF's /missed_feeds example: the entry has an _id, the body ML tried to deliver
    # (request.data) has none.
    delivered = {
        "resource": "/items/MLA820048955",
        "user_id": 468424240,
        "topic": "items",
        "application_id": 3486171129139063,
        "attempts": 1,
        "sent": "2019-10-17T14:47:06.414Z",
        "received": "2019-10-17T14:47:06.375Z",
    }
    entry = {
        "_id": "5da87eea5b35b865994cfd7d",
        **delivered,
        "attempts": 5,
        "request": {"url": "https://YOUR_URL", "data": json.dumps(delivered)},
        "response": {"req_time": 498, "http_code": 200},
    }

    from_feed = notification_parse(missed_feed_body(entry))

    assert from_feed.dedup_key == notification_parse(delivered).dedup_key
    assert from_feed.dedup_key.startswith("ev:")
