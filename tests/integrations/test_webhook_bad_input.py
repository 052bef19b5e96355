"""Bodies no ML notification has are the sender's fault: 400 with the reason, never 500 or 503.

A 503 makes ML retry the same body for an hour; these bodies would fail the same way each time.
"""

import json

import pytest
from django.test import Client

from integrations.mercadolivre.webhook import ack_only_queue_key
from integrations.models import MLNotification
from tests.integrations.test_webhook import URL, notification, post

pytestmark = pytest.mark.django_db


def test_json_nested_thousands_of_levels_deep_is_400():
    raw = '{"topic": ' + "[" * 5000 + "]" * 5000 + "}"

    response = post(None, raw=raw)

    assert response.status_code == 400
    assert "nests deeper" in response.json()["error"]
    assert MLNotification.objects.count() == 0


def test_a_notification_with_a_field_nested_deeper_than_ml_sends_is_400():
    deep: object = "leaf"
    for _ in range(50):
        deep = {"x": deep}

    response = post(notification(extra=deep))

    assert response.status_code == 400
    assert "nests deeper" in response.json()["error"]
    assert MLNotification.objects.count() == 0


@pytest.mark.parametrize(
    "user_id", ["9223372036854775808", 9223372036854775808, "99999999999999999999", 0, "0"]
)
def test_a_user_id_outside_bigint_is_400(user_id):
    response = post(notification(user_id=user_id))

    assert response.status_code == 400
    assert "user_id" in response.json()["error"]
    assert MLNotification.objects.count() == 0


def test_the_largest_bigint_user_id_is_accepted():
    response = post(notification(user_id="9223372036854775807"))

    assert response.status_code == 200
    assert MLNotification.objects.get().ml_user_id == 9223372036854775807


def test_a_number_beyond_bigint_in_another_field_is_400():
    response = post(notification(attempts=10**30))

    assert response.status_code == 400
    assert response.json()["error"] == "attempts is beyond a 64-bit integer"
    assert MLNotification.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        notification(topic="orders_v2\u0000"),
        notification(resource="/orders/1\u0000"),
        notification(sent="2026-11-27T13:44:33.006Z\u0000"),
        notification(actions=["created\u0000"]),
        {**notification(), "key\u0000": "value"},
    ],
    ids=["topic", "resource", "sent", "nested", "key"],
)
def test_a_nul_character_anywhere_is_400(body):
    response = post(body)

    assert response.status_code == 400
    assert "NUL" in response.json()["error"]
    assert MLNotification.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        notification(topic="orders_v2\ud800"),
        notification(_id="abc\udfff"),
        notification(actions=["\ud800"]),
    ],
    ids=["topic", "id", "nested"],
)
def test_a_lone_surrogate_anywhere_is_400(body):
    raw = json.dumps(body)  # written as the escape "\ud800", as a sender would
    assert "\\ud" in raw

    response = post(None, raw=raw)

    assert response.status_code == 400
    assert "surrogate" in response.json()["error"]
    assert MLNotification.objects.count() == 0


def test_a_surrogate_pair_is_a_character_and_is_accepted():
    response = post(None, raw=json.dumps(notification(_id="emoji-\U0001f600")))

    assert response.status_code == 200
    assert MLNotification.objects.get().dedup_key == "ml:emoji-\U0001f600"


def test_bytes_that_are_not_utf8_are_400():
    raw = b'{"topic": "orders_v2\xff"}'

    response = Client(HTTP_HOST="localhost").post(URL, data=raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"] == "malformed JSON"


def test_an_impossible_date_is_kept_as_unknown_not_refused():
    response = post(notification(sent="2026-13-45T99:00:00.000Z"))

    assert response.status_code == 200
    assert MLNotification.objects.get().sent_at is None


def test_the_ack_only_drain_drops_a_body_nested_too_deep_and_stores_the_rest():
    from core.redis import redis_client
    from operations.runbooks.emergency import ack_only_drain

    queue = ack_only_queue_key()
    redis_client().delete(queue)
    redis_client().lpush(queue, b"[" * 5000 + b"]" * 5000)
    redis_client().lpush(queue, json.dumps(notification(_id="after-the-deep-one")).encode())

    report = ack_only_drain()

    assert (report.stored, report.malformed, report.remaining) == (1, 1, 0)
    assert MLNotification.objects.get().dedup_key == "ml:after-the-deep-one"
