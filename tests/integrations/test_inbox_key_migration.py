"""Migration 0004: inbox rows under the old key (``sent``) take the event key, none is lost."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from integrations.mercadolivre.webhook import notification_parse
from integrations.models import MLNotification

pytestmark = pytest.mark.django_db

migration = importlib.import_module("integrations.migrations.0004_mlnotification_event_keys")


def payload(**changes):
    body = {
        "resource": "/orders/2195160686",
        "user_id": 468424240,
        "topic": "orders_v2",
        "application_id": "peepers-sandbox-app",
        "attempts": 1,
        "sent": "2026-11-27T13:44:33.006Z",
        "received": "2026-11-27T13:44:32.984Z",
    }
    return body | changes


def old_row(key, body):
    return MLNotification.objects.create(
        dedup_key=key,
        topic=body["topic"],
        resource=body["resource"],
        ml_user_id=body["user_id"],
        application_id=body["application_id"],
        attempts=body["attempts"],
        payload=body,
    )


def run_migration():
    with connection.schema_editor() as editor:
        migration.rekey(apps, editor)


def test_old_rows_take_the_key_a_redelivery_now_gets_and_none_is_lost():
    first = old_row("h:first", payload())
    # The same event redelivered before the change: another "sent", so another old key.
    redelivered = old_row("h:again", payload(sent="2026-11-27T13:50:00.000Z", attempts=2))
    other = old_row("h:other", payload(received="2026-11-27T15:00:00.000Z"))
    with_id = old_row("ml:abc", payload(_id="abc"))

    run_migration()

    keys = dict(MLNotification.objects.values_list("pk", "dedup_key"))
    assert keys[first.pk] == notification_parse(payload(attempts=3)).dedup_key
    assert keys[redelivered.pk] == "h:again"  # one event: the first row holds its key
    assert keys[other.pk] == notification_parse(other.payload).dedup_key
    assert keys[with_id.pk] == "ml:abc"
    assert MLNotification.objects.count() == 4


def test_running_it_again_changes_nothing():
    old_row("h:first", payload())
    run_migration()
    before = list(MLNotification.objects.values_list("pk", "dedup_key"))

    run_migration()

    assert list(MLNotification.objects.values_list("pk", "dedup_key")) == before
