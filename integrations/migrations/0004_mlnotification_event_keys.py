"""Inbox rows without ML's ``_id`` take the event key: topic, resource, user, application and
``received`` (a redelivery keeps ``received`` and changes ``sent``/``attempts``).

Rows stored under the old key (topic, resource, user and ``sent``) get the new one, so a
redelivery of an event already in the inbox is still absorbed after the change. Every row is
kept: when two old rows are one event, the first takes the new key and the other keeps its old
one. The key function is copied here as it stood, so later changes to the code do not change
what this migration did.
"""

import hashlib
from typing import Any

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

BATCH_SIZE = 2000


def _event_key(row: Any) -> str:
    payload = row.payload if isinstance(row.payload, dict) else {}
    received = payload.get("received", payload.get("recieved"))
    when = received if isinstance(received, str) and received else f"sent:{payload.get('sent')}"
    digest = hashlib.sha256(
        f"{row.topic}|{row.resource}|{row.ml_user_id}|{row.application_id}|{when}".encode(),
        usedforsecurity=False,
    ).hexdigest()
    return f"ev:{digest[:64]}"


def rekey(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if getattr(schema_editor.connection, "schema_name", "public") != "public":
        return  # the inbox lives in the public schema only
    MLNotification = apps.get_model("integrations", "MLNotification")
    taken = set(
        MLNotification.objects.filter(dedup_key__startswith="ev:").values_list(
            "dedup_key", flat=True
        )
    )
    old = (
        MLNotification.objects.filter(dedup_key__startswith="h:")
        .order_by("pk")
        .only("pk", "payload", "topic", "resource", "ml_user_id", "application_id")
    )
    rekeyed = []
    for row in old.iterator(chunk_size=BATCH_SIZE):
        key = _event_key(row)
        if key in taken:
            continue
        taken.add(key)
        row.dedup_key = key
        rekeyed.append(row)
        if len(rekeyed) == BATCH_SIZE:
            MLNotification.objects.bulk_update(rekeyed, ["dedup_key"])
            rekeyed = []
    MLNotification.objects.bulk_update(rekeyed, ["dedup_key"])


class Migration(migrations.Migration):
    dependencies = [("integrations", "0003_mlnotification_admin_indexes")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
