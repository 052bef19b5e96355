"""The seller's privacy center: consent in one click, the notice, the DPO, and self-service
requests (download my data, request deletion)."""

import io
import zipfile
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from compliance.consent.models import ConsentRecord
from compliance.models import DataSubjectRequest, RequestKind
from tests.compliance.consent.support import publish_privacy
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db


def test_the_page_needs_a_login(tenant_a):
    response = Client(HTTP_HOST="tenant-a.localhost").get("/privacy/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_page_lists_purposes_the_notice_and_the_dpo(tenant_a, settings):
    settings.PEEPERS_DPO_CONTACT = "dpo@peepers.example"
    publish_privacy("2026-12-01", days_ago=1)

    response = store_client(tenant_a, login=True).get(
        "/privacy/", headers={"Accept-Language": "en"}
    )

    assert response.status_code == 200
    page = response.text
    assert 'id="grant-marketing_email"' in page
    assert 'id="grant-product_analytics"' in page
    assert "grant-service_contract" not in page  # contract basis: no consent button
    assert "Performance of a contract (Art. 7 V)" in page
    assert "version 2026-12-01" in page
    assert "dpo@peepers.example" in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_granting_and_revoking_is_one_click_each(tenant_a):
    client = store_client(tenant_a, login=True)

    granted = client.post("/privacy/consent", {"purpose": "marketing_email", "decision": "grant"})
    after_grant = client.get("/privacy/").text
    revoked = client.post("/privacy/consent", {"purpose": "marketing_email", "decision": "revoke"})
    after_revoke = client.get("/privacy/").text

    assert granted.status_code == revoked.status_code == 302
    assert 'id="revoke-marketing_email"' in after_grant
    assert 'id="grant-marketing_email"' in after_revoke
    with tenant_context(tenant_a):
        record = ConsentRecord.objects.order_by("id").first()
        assert (record.channel, record.ip_address) == ("privacy_center", "127.0.0.1")
        assert list(ConsentRecord.objects.order_by("id").values_list("action", flat=True)) == [
            "granted",
            "revoked",
        ]


def test_a_bad_decision_is_answered_next_to_the_field(tenant_a):
    client = store_client(tenant_a, login=True)

    response = client.post(
        "/privacy/consent",
        {"purpose": "service_contract", "decision": "grant"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    row = response.text.split('id="purpose-service_contract"', 1)[1].split("</tr>", 1)[0]
    assert "Select a valid choice" in row
    with tenant_context(tenant_a):
        assert not ConsentRecord.objects.exists()


def test_download_my_data_gives_a_link_to_a_zip(tenant_a):
    client = store_client(tenant_a, login=True)
    client.post("/privacy/consent", {"purpose": "product_analytics", "decision": "grant"})

    started = client.post("/privacy/export")
    page = client.get(started["Location"]).text
    link = page.split('<p id="export-link" role="status"><a href="', 1)[1].split('"', 1)[0]
    download = client.get(link)

    assert link.startswith("/privacy/exports/")
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = archive.namelist()
    assert "manifest.json" in names
    assert "consent_ConsentRecord.json" in names
    assert "product_analytics" not in archive.read("consent_ConsentRecord.json").decode()
    assert "127.0.0.1" in archive.read("consent_ConsentRecord.json").decode()
    request = DataSubjectRequest.objects.get(tenant=tenant_a, kind=RequestKind.ACCESS)
    assert (request.channel, request.subject_email) == ("privacy center", tenant_a.owner_email)
    # The link is shown once; reloading the page does not show it again.
    assert 'id="export-link"' not in client.get("/privacy/").text


def test_a_deletion_request_needs_confirming_then_shows_its_due_date(tenant_a):
    client = store_client(tenant_a, login=True)

    english = {"Accept-Language": "en"}

    unconfirmed = client.post("/privacy/erasure", {}, headers=english)
    confirmed = client.post("/privacy/erasure", {"confirm": "on"}, follow=True, headers=english)

    assert unconfirmed.status_code == 400
    assert 'id="confirm-errors"' in unconfirmed.text
    assert "Tick the box to confirm the request." in unconfirmed.text
    request = DataSubjectRequest.objects.get(tenant=tenant_a, kind=RequestKind.ERASURE)
    due = request.due_at.astimezone(ZoneInfo("America/Sao_Paulo")).strftime("%d/%m/%Y")
    assert "We received your deletion request" in confirmed.text
    assert f"answered by {due} at the latest" in confirmed.text
