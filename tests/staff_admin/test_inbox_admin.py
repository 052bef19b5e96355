"""The ML webhook inbox in admin: filters, exact searches, replay of dead rows, read-only."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from integrations.models import MLNotification, NotificationStatus
from tests.staff_admin import rows

INBOX = "/admin/integrations/mlnotification/"


def listed(client, query: str) -> list[str]:
    response = client.get(f"{INBOX}{query}")
    assert response.status_code == 200
    return sorted(n.dedup_key for n in response.context["cl"].result_list)


@pytest.fixture
def inbox(tenant_a):
    pending, dead, item = rows.notifications(3, tenant=tenant_a)
    MLNotification.objects.filter(pk=dead.pk).update(status=NotificationStatus.DEAD)
    MLNotification.objects.filter(pk=item.pk).update(
        topic="items",
        resource="/items/MLB123",
        ml_user_id=2002,
        source="missed_feeds",
        arrived_at=timezone.now() - timedelta(days=40),
    )
    return {"pending": pending.dedup_key, "dead": dead.dedup_key, "item": item.dedup_key}


def test_filters_by_status_topic_source_and_received_date(staff_client, inbox):
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    last_week = urlencode(
        {
            "arrived_at__gte": str(today - timedelta(days=7)),
            "arrived_at__lt": str(today + timedelta(days=1)),
        }
    )

    assert listed(staff_client, "?status__exact=dead") == [inbox["dead"]]
    assert listed(staff_client, "?topic=items") == [inbox["item"]]
    assert listed(staff_client, "?source=missed_feeds") == [inbox["item"]]
    assert listed(staff_client, f"?{last_week}") == sorted([inbox["pending"], inbox["dead"]])


def test_search_by_resource_ml_user_id_or_notification_id(staff_client, inbox):
    assert listed(staff_client, "?q=/items/MLB123") == [inbox["item"]]
    assert listed(staff_client, "?q=items/MLB123") == [inbox["item"]]
    assert listed(staff_client, "?q=2002") == [inbox["item"]]
    assert listed(staff_client, f"?q={inbox['dead']}") == [inbox["dead"]]
    assert listed(staff_client, "?q=no-such-thing") == []


def test_replay_sends_dead_rows_again_and_leaves_the_rest(staff_client, inbox):
    ids = list(MLNotification.objects.values_list("pk", flat=True))

    done = staff_client.post(INBOX, {"action": "replay", "_selected_action": ids}, follow=True)

    said = [str(m) for m in done.context["messages"]]
    assert "Replaying 1 notification(s)." in said
    assert "2 were neither dead nor orphaned and were left alone." in said
    replayed = MLNotification.objects.get(dedup_key=inbox["dead"])
    assert (replayed.status, replayed.tries) == (NotificationStatus.PENDING, 0)


def test_rows_cannot_be_added_deleted_or_edited(staff_client, inbox):
    row = MLNotification.objects.get(dedup_key=inbox["dead"])
    resource = row.resource

    assert staff_client.get(f"{INBOX}add/").status_code == 403
    assert staff_client.get(f"{INBOX}{row.pk}/delete/").status_code == 403
    staff_client.post(f"{INBOX}{row.pk}/change/", {"status": "processed", "resource": "/x"})
    row.refresh_from_db()
    assert (row.status, row.resource) == (NotificationStatus.DEAD, resource)
    assert staff_client.get(f"{INBOX}{row.pk}/change/").status_code == 200
