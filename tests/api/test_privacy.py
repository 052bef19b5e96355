"""``/api/v1/privacy-requests/``: the legal clock in the store's calendar, and an export that
closes its request once downloaded."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from compliance.dsr.requests import dsr_open
from compliance.models import RequestKind, RequestScope

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def test_a_new_request_has_15_days_left_to_its_last_day(client_a):
    created = client_a.post(
        "/api/v1/privacy-requests/", {"kind": "erasure"}, content_type="application/json"
    )

    body = created.json()["request"]
    today = timezone.localtime(timezone.now(), SAO_PAULO).date()
    assert created.status_code == 201
    assert body["days_left"] == 15
    assert body["due_on"] == (today + timedelta(days=15)).isoformat()


def test_the_last_day_is_read_in_sao_paulo_not_utc(client_a, tenant_a):
    today = timezone.localtime(timezone.now(), SAO_PAULO).date()
    # 23:30 in São Paulo 15 days ago: the next day in UTC; today is its last day.
    dsr_open(
        tenant=tenant_a,
        scope=RequestScope.SELLER_USER,
        kind=RequestKind.ERASURE,
        channel="privacy center",
        subject_email=tenant_a.owner_email,
        received_at=datetime.combine(today - timedelta(days=15), time(23, 30), tzinfo=SAO_PAULO),
    )

    listed = client_a.get("/api/v1/privacy-requests/").json()["results"]

    assert [(r["due_on"], r["days_left"]) for r in listed] == [(today.isoformat(), 0)]


def test_an_export_downloaded_is_answered(client_a):
    created = client_a.post(
        "/api/v1/privacy-requests/", {"kind": "export"}, content_type="application/json"
    ).json()

    download = client_a.get(created["download_url"])
    b"".join(download.streaming_content)
    again = client_a.get(f"/api/v1/privacy-requests/{created['request']['id']}/").json()

    assert created["request"]["status"] == "received"
    assert download.status_code == 200
    assert (again["status"], again["days_left"]) == ("completed", None)
    assert again["completed_at"] is not None
