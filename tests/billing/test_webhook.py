"""POST /api/webhook/stripe: the signature on the raw body, bad input refused, one row per event."""

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from billing.errors import SignatureInvalid
from billing.events import event_process
from billing.models import EventStatus, StripeEvent
from billing.webhook import MAX_BODY_BYTES, signature_verify

pytestmark = pytest.mark.django_db

URL = "/api/webhook/stripe"
SECRET = "whsec_current"
OLD_SECRET = "whsec_previous"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.STRIPE_WEBHOOK_SECRET = [SECRET, OLD_SECRET]
    settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300


def event(**overrides):
    body = {
        "id": "evt_1",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "livemode": False,
        "type": "customer.subscription.updated",
        "data": {"object": {"id": "sub_1", "object": "subscription", "customer": "cus_nobody"}},
    }
    body.update(overrides)
    return json.dumps(body).encode()


def sign(payload: bytes, secret: str = SECRET, *, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def post(payload: bytes, signature: str | None):
    headers = {} if signature is None else {"Stripe-Signature": signature}
    client = Client(HTTP_HOST="localhost")
    return client.post(URL, data=payload, content_type="application/json", headers=headers)


def test_a_signed_event_is_stored_and_acknowledged():
    payload = event()

    response = post(payload, sign(payload))

    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    row = StripeEvent.objects.get()
    assert (row.event_id, row.type, row.object_id, row.status) == (
        "evt_1",
        "customer.subscription.updated",
        "sub_1",
        "pending",
    )


def test_a_redelivered_event_is_absorbed_and_counted():
    payload = event()
    post(payload, sign(payload))

    again = post(payload, sign(payload))

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert StripeEvent.objects.get().deliveries == 2


def test_the_previous_secret_still_verifies_during_rotation():
    payload = event()

    assert post(payload, sign(payload, OLD_SECRET)).status_code == 200


@pytest.mark.parametrize(
    ("case", "make_header"),
    [
        ("unsigned", lambda p: None),
        ("empty header", lambda p: ""),
        ("wrong secret", lambda p: sign(p, "whsec_someone_else")),
        ("stale", lambda p: sign(p, at=int(time.time()) - 360)),
        ("future", lambda p: sign(p, at=int(time.time()) + 360)),
        ("no v1", lambda p: sign(p).replace("v1=", "v0=")),
        ("no timestamp", lambda p: sign(p).split(",", 1)[1]),
        ("two timestamps", lambda p: f"t=1,{sign(p)}"),
        ("a non-ASCII digit", lambda p: "t=\u00b2," + sign(p).split(",", 1)[1]),
        ("a huge timestamp", lambda p: "t=" + "9" * 5000 + "," + sign(p).split(",", 1)[1]),
        ("signature of another body", lambda p: sign(p + b" ")),
    ],
)
def test_a_bad_signature_is_refused_and_nothing_is_stored(case, make_header):
    payload = event()

    response = post(payload, make_header(payload))

    assert response.status_code == 400, case
    assert "error" in response.json()
    assert not StripeEvent.objects.exists()


def test_two_v1_signatures_pass_when_one_is_valid():
    payload = event()
    good = sign(payload)
    timestamp, valid = good.split(",")
    header = f"{timestamp},v1={'0' * 64},{valid}"

    assert post(payload, header).status_code == 200


def test_the_signature_check_itself():
    payload, now = b'{"x":1}', time.time()
    header = sign(payload, at=int(now))

    assert signature_verify(
        payload=payload, header=header, secrets=[SECRET], tolerance=300, now=now
    ) == int(now)
    with pytest.raises(SignatureInvalid, match="tolerance"):
        signature_verify(
            payload=payload, header=header, secrets=[SECRET], tolerance=300, now=now + 301
        )
    with pytest.raises(SignatureInvalid, match="tolerance"):  # signed 301 s in our future
        signature_verify(
            payload=payload, header=header, secrets=[SECRET], tolerance=300, now=int(now) - 301
        )
    assert signature_verify(  # exactly at the tolerance is still accepted
        payload=payload, header=header, secrets=[SECRET], tolerance=300, now=int(now) + 300
    ) == int(now)
    with pytest.raises(SignatureInvalid, match="no webhook signing secret"):
        signature_verify(payload=payload, header=header, secrets=[], tolerance=300, now=now)


@pytest.mark.parametrize(
    ("case", "payload"),
    [
        ("not JSON", b"not json at all"),
        ("truncated", event()[:40]),
        ("a JSON list", b"[1, 2, 3]"),
        ("not an event", json.dumps({"id": "evt_1", "object": "charge"}).encode()),
        ("no id", event(id="")),
        ("no type", event(type=None)),
        ("no data.object", event(data={})),
    ],
)
def test_a_signed_but_malformed_body_is_refused(case, payload):
    response = post(payload, sign(payload))

    assert response.status_code == 400, case
    assert not StripeEvent.objects.exists()


def test_an_oversized_body_is_refused_before_it_is_read():
    payload = event(padding="x" * MAX_BODY_BYTES)

    response = post(payload, sign(payload))

    assert response.status_code == 413
    assert not StripeEvent.objects.exists()


def test_get_is_not_allowed():
    assert Client(HTTP_HOST="localhost").get(URL).status_code == 405


def test_the_webhook_lives_on_the_public_host_only(tenant_a):
    payload = event()
    client = Client(HTTP_HOST="tenant-a.localhost")

    response = client.post(
        URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
    )

    assert response.status_code == 404
    assert not StripeEvent.objects.exists()


def test_an_unknown_event_type_is_stored_and_ignored():
    payload = event(id="evt_unknown", type="issuing_card.created")
    post(payload, sign(payload))

    assert event_process(event_pk=StripeEvent.objects.get().pk) == EventStatus.IGNORED
    assert StripeEvent.objects.get().status == "ignored"


def test_an_event_from_the_other_stripe_mode_is_refused(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    payload = event(livemode=True)

    response = post(payload, sign(payload))

    assert response.status_code == 400
    assert "live-mode event" in response.json()["error"]
    assert not StripeEvent.objects.exists()


def _deep(levels: int) -> bytes:
    """A signed event whose object carries a list nested ``levels`` deep."""
    payload: bytes = event(deep="__DEEP__")
    return payload.replace(b'"__DEEP__"', b"[" * levels + b"]" * levels)


def _object_with(**fields):
    return {"object": {"id": "sub_1", "object": "subscription", "customer": "cus_1", **fields}}


@pytest.mark.parametrize(
    ("case", "payload", "reason"),
    [
        ("created 1e15", event(created=10**15), "not a moment a calendar can hold"),
        ("created 1e20", event(created=1e20), "not a whole number of seconds"),
        ("created Infinity", event(created=float("inf")), "Infinity is not a JSON value"),
        ("created -Infinity", event(created=float("-inf")), "-Infinity is not a JSON value"),
        ("created NaN", event(created=float("nan")), "NaN is not a JSON value"),
        ("created a string", event(created="yesterday"), "not a whole number of seconds"),
        ("no created", event(created=None), "not a whole number of seconds"),
        ("nested past the recursion limit", _deep(100_000), "nests deeper than 64 levels"),
        ("nested past our limit", _deep(200), "nests deeper than 64 levels"),
        ("a NUL character", event(data=_object_with(name="a\u0000b")), "NUL character"),
        ("a NUL character in a key", event(data=_object_with(**{"k\u0000": 1})), "NUL"),
        ("a lone surrogate", event(data=_object_with(name="\ud800")), "lone surrogate"),
    ],
)
def test_a_signed_event_the_inbox_cannot_hold_is_the_senders_fault(case, payload, reason):
    response = post(payload, sign(payload))

    assert response.status_code == 400, case
    assert reason in response.json()["error"], case
    assert not StripeEvent.objects.exists()


def test_an_event_nested_as_deep_as_stripe_nests_is_stored():
    payload = _deep(40)

    response = post(payload, sign(payload))

    assert response.status_code == 200
    assert StripeEvent.objects.get().stripe_created is not None
