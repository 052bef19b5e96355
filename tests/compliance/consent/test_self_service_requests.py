"""Self-service requests in the privacy center: "download my data" closes itself once the file
is handed out, and open requests read their clock in the store's calendar."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from compliance.audit.models import ActorKind, AuditAction, AuditEvent
from compliance.consent.models import ConsentRecord
from compliance.dsr.exports import export_link_token, subject_export
from compliance.dsr.requests import dsr_open
from compliance.models import DataSubjectRequest, RequestKind, RequestScope, RequestStatus
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def status_trail(request: DataSubjectRequest) -> list[tuple[str, str, str, str]]:
    return [
        (e.actor_kind, e.actor_id, e.details["from"], e.details["to"])
        for e in AuditEvent.objects.filter(
            action=AuditAction.DSR_STATUS_CHANGED,
            object_type="compliance.datasubjectrequest",
            object_id=str(request.pk),
        ).order_by("pk")
    ]


def export_link(client):
    started = client.post("/privacy/export")
    page = client.get(started["Location"]).text
    return page.split('<p id="export-link" role="status"><a href="', 1)[1].split('"', 1)[0]


def test_download_my_data_closes_its_request_when_the_file_is_delivered(tenant_a):
    client = store_client(tenant_a, login=True)
    link = export_link(client)
    request = DataSubjectRequest.objects.get(tenant=tenant_a, kind=RequestKind.ACCESS)
    assert request.status == RequestStatus.RECEIVED  # the link alone is not the delivery

    download = client.get(link)
    b"".join(download.streaming_content)

    request.refresh_from_db()
    assert download.status_code == 200
    assert request.status == RequestStatus.COMPLETED
    assert request.completed_at is not None
    assert request.outcome == "export downloaded by the subject"
    assert status_trail(request) == [
        (ActorKind.SYSTEM, "privacy center download", "received", "completed")
    ]
    # No longer open: the privacy center stops listing it, a new download opens a new one.
    assert 'id="open-requests"' not in client.get("/privacy/").text


def test_downloading_again_keeps_the_file_and_closes_nothing_more(tenant_a):
    client = store_client(tenant_a, login=True)
    link = export_link(client)

    first = client.get(link)
    again = client.get(link)
    b"".join(first.streaming_content)
    b"".join(again.streaming_content)

    request = DataSubjectRequest.objects.get(tenant=tenant_a, kind=RequestKind.ACCESS)
    assert (first.status_code, again.status_code) == (200, 200)
    assert len(status_trail(request)) == 1


def test_an_export_staff_made_for_a_buyer_is_closed_by_staff_not_by_the_download(tenant_a):
    request = dsr_open(
        tenant=tenant_a,
        scope=RequestScope.BUYER,
        kind=RequestKind.ACCESS,
        channel="e-mail",
        subject_ml_user_id=321,
    ).request
    subject_export(request=request)
    request.refresh_from_db()

    download = store_client(tenant_a).get(f"/privacy/exports/{export_link_token(request=request)}")
    b"".join(download.streaming_content)

    request.refresh_from_db()
    assert download.status_code == 200
    assert request.status == RequestStatus.RECEIVED
    assert status_trail(request) == []


def test_open_requests_show_dates_and_countdown_in_the_store_calendar(tenant_a):
    today = timezone.localtime(timezone.now(), SAO_PAULO).date()
    # 23:30 in São Paulo two days ago: already the next day in UTC.
    received = datetime.combine(today - timedelta(days=2), time(23, 30), tzinfo=SAO_PAULO)
    request = dsr_open(
        tenant=tenant_a,
        scope=RequestScope.SELLER_USER,
        kind=RequestKind.ERASURE,
        channel="privacy center",
        subject_email=tenant_a.owner_email,
        received_at=received,
    ).request

    page = store_client(tenant_a, login=True).get("/privacy/").text

    row = page.split(f'id="open-request-{request.pk}">', 1)[1].split("</li>", 1)[0]
    assert f"recebida em {today - timedelta(days=2):%d/%m/%Y}" in row
    assert f"resposta até {today + timedelta(days=13):%d/%m/%Y}, no máximo" in row
    assert "faltam 13 dias" in row


def test_the_deletion_confirmation_gives_the_last_day_in_the_store_calendar(tenant_a):
    today = timezone.localtime(timezone.now(), SAO_PAULO).date()
    dsr_open(  # asked two days ago at 23:30 in São Paulo (the next day in UTC); asked again now
        tenant=tenant_a,
        scope=RequestScope.SELLER_USER,
        kind=RequestKind.ERASURE,
        channel="privacy center",
        subject_email=tenant_a.owner_email,
        received_at=datetime.combine(today - timedelta(days=2), time(23, 30), tzinfo=SAO_PAULO),
    )

    confirmed = store_client(tenant_a, login=True).post(
        "/privacy/erasure", {"confirm": "on"}, follow=True
    )

    due = today + timedelta(days=13)
    assert f"Nossa equipe vai atendê-la até {due:%d/%m/%Y}." in confirmed.text


def test_the_consent_history_shows_the_store_clock(tenant_a):
    client = store_client(tenant_a, login=True)
    client.post("/privacy/consent", {"purpose": "marketing_email", "decision": "grant"})

    page = client.get("/privacy/").text

    row = page.split('id="consent-history">', 1)[1].split("</tr>", 2)[1]
    with tenant_context(tenant_a):
        granted = ConsentRecord.objects.get().occurred_at
    assert f"{granted.astimezone(SAO_PAULO):%d/%m/%Y %H:%M}" in row
    assert f"{granted.astimezone(UTC):%H:%M}" not in row
