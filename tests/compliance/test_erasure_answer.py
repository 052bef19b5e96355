"""An erasure ends earlier disclosures and confirms itself: the subject's export files are
deleted and their links answer 410 Gone; the confirmation goes by e-mail when the request came
by e-mail, or waits, visibly, for staff to send it through the request's channel."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django_tenants.utils import tenant_context

from compliance.audit.models import AuditAction, AuditEvent
from compliance.dsr.exports import export_link_token
from compliance.dsr.requests import dsr_open
from compliance.models import DataSubjectRequest, IdentityState, RequestKind, RequestScope
from integrations.mercadolivre.models import MLOrder
from tests.compliance.dsr_support import order_create
from tests.factories.users import STAFF_EMAIL, store_user_create
from tests.support.clients import store_client

pytestmark = pytest.mark.django_db

LIST = "/admin/compliance/datasubjectrequest/"
ENGLISH = {"Accept-Language": "en"}
BUYER = 555001
OTHER = 555002


def verified_request(tenant, kind, *, buyer=BUYER, channel="ML message", contact=""):
    request = dsr_open(
        tenant=tenant,
        scope=RequestScope.BUYER,
        kind=kind,
        channel=channel,
        subject_ml_user_id=buyer,
        contact_email=contact,
    ).request
    DataSubjectRequest.objects.filter(pk=request.pk).update(identity=IdentityState.VERIFIED)
    request.refresh_from_db()
    return request


def act(client, action, request, **extra):
    return client.post(LIST, {"action": action, "_selected_action": [request.pk]}, **extra)


def exported(client, request) -> tuple[str, Path]:
    act(client, "export_data", request)
    request.refresh_from_db()
    return export_link_token(request=request), Path(
        django_settings.MEDIA_ROOT
    ) / request.export_path


def download_status(client, token):
    response = client.get(f"/privacy/exports/{token}")
    if response.streaming:  # reading it to the end closes the file
        b"".join(response.streaming_content)
    return response.status_code


@pytest.fixture
def buyers(tenant_a, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)  # files of earlier runs' requests are not this one's
    order_create(tenant_a, order_id=2000000001, buyer=BUYER, nickname="COMPRADORA_ANA")
    order_create(tenant_a, order_id=2000000002, buyer=OTHER, nickname="OUTRO")
    return tenant_a


def test_after_erasure_the_subjects_export_links_answer_410_and_the_files_are_gone(
    staff_client, buyers
):
    store = Client(HTTP_HOST="tenant-a.localhost", HTTP_ACCEPT_LANGUAGE="en")
    access = verified_request(buyers, RequestKind.ACCESS)
    first_token, first_file = exported(staff_client, access)
    second_token, second_file = exported(staff_client, access)  # exported twice: two files
    other = verified_request(buyers, RequestKind.ACCESS, buyer=OTHER)
    other_token, other_file = exported(staff_client, other)
    assert download_status(store, second_token) == 200

    act(staff_client, "erase_data", verified_request(buyers, RequestKind.ERASURE))

    page = store.get(f"/privacy/exports/{first_token}")
    as_json = store.get(f"/privacy/exports/{second_token}", HTTP_ACCEPT="application/json")
    assert page.status_code == 410
    assert "This export was withdrawn" in page.text
    assert "erased at the subject" in page.text
    assert as_json.status_code == 410
    assert as_json.json()["code"] == "export_withdrawn"
    assert not first_file.exists()
    assert not second_file.exists()
    access.refresh_from_db()
    assert (access.export_path, access.export_withdrawn_at is not None) == ("", True)
    # Another buyer's export is theirs: untouched.
    assert other_file.exists()
    assert download_status(store, other_token) == 200
    withdrawn = AuditEvent.objects.get(action=AuditAction.DSR_EXPORTS_WITHDRAWN)
    assert withdrawn.details == {"requests": [access.pk]}


def test_the_admin_says_the_export_was_withdrawn(staff_client, buyers):
    access = verified_request(buyers, RequestKind.ACCESS)
    exported(staff_client, access)

    act(staff_client, "erase_data", verified_request(buyers, RequestKind.ERASURE))

    change = staff_client.get(f"{LIST}{access.pk}/change/", headers=ENGLISH)
    assert "withdrawn after the subject" in change.text


def test_the_confirmation_is_e_mailed_when_the_request_came_by_e_mail(
    staff_client, buyers, django_capture_on_commit_callbacks
):
    erasure = verified_request(
        buyers, RequestKind.ERASURE, channel="e-mail", contact="ana@example.com"
    )

    with django_capture_on_commit_callbacks(execute=True):
        act(staff_client, "erase_data", erasure)

    assert [m.to for m in mail.outbox] == [["ana@example.com"]]
    sent = mail.outbox[0]
    assert sent.subject == f"{buyers.name}: seus dados pessoais foram apagados"
    assert "apagou (eliminou ou anonimizou) seus dados pessoais" in sent.body
    erasure.refresh_from_db()
    assert (erasure.confirmation_state, erasure.confirmation_to) == ("sent", "ana@example.com")
    assert erasure.confirmation_sent_at is not None
    assert sent.body in erasure.confirmation_text
    states = [
        e.details["state"]
        for e in AuditEvent.objects.filter(action=AuditAction.DSR_CONFIRMATION).order_by("pk")
    ]
    assert states == ["pending", "sent"]
    with tenant_context(buyers):
        assert not MLOrder.objects.filter(buyer_id=BUYER).exists()


def test_a_confirmation_by_another_channel_waits_visibly_until_staff_send_it(
    staff_client, buyers, django_capture_on_commit_callbacks
):
    erasure = verified_request(buyers, RequestKind.ERASURE, channel="ML message")

    with django_capture_on_commit_callbacks(execute=True):
        act(staff_client, "erase_data", erasure)
    listing = staff_client.get(f"{LIST}?confirmation_state=pending", headers=ENGLISH)
    owner_page = store_client(buyers, login=True).get("/privacy/").text
    marked = act(staff_client, "mark_confirmation_sent", erasure, follow=True, headers=ENGLISH)

    assert mail.outbox == []
    assert "pending: to be sent by ML message" in listing.text
    row = owner_page.split(f'id="buyer-request-{erasure.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Apagado; confirmação a enviar por ML message" in row
    assert "1 confirmation(s) recorded as sent." in marked.text
    erasure.refresh_from_db()
    assert erasure.confirmation_state == "sent"
    assert erasure.confirmation_to == "ML message"
    assert "seus dados pessoais foram apagados" in erasure.confirmation_text
    sent = AuditEvent.objects.filter(action=AuditAction.DSR_CONFIRMATION).order_by("pk").last()
    assert (sent.details["state"], sent.actor_email) == ("sent", STAFF_EMAIL)


def test_a_users_own_erasure_withdraws_their_download_and_is_confirmed_to_their_address(
    staff_client, tenant_a, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    email = "membro@a.example.com"
    store_user_create(tenant_a, email, "a-long-member-password-1")
    member = Client(HTTP_HOST="tenant-a.localhost", HTTP_ACCEPT_LANGUAGE="en")
    member.post("/login/", {"username": email, "password": "a-long-member-password-1"})
    started = member.post("/privacy/export")
    page = member.get(started["Location"]).text
    link = page.split('<p id="export-link" role="status"><a href="', 1)[1].split('"', 1)[0]
    member.post("/privacy/erasure", {"confirm": "on"})
    erasure = DataSubjectRequest.objects.get(tenant=tenant_a, kind=RequestKind.ERASURE)

    with django_capture_on_commit_callbacks(execute=True):
        act(staff_client, "erase_data", erasure)

    gone = Client(HTTP_HOST="tenant-a.localhost", HTTP_ACCEPT_LANGUAGE="en").get(link)
    assert gone.status_code == 410
    assert [m.to for m in mail.outbox] == [[email]]
    assert mail.outbox[0].subject == "Peepers: seus dados pessoais foram apagados"
    erasure.refresh_from_db()
    assert (erasure.confirmation_state, erasure.confirmation_to) == ("sent", email)


def test_the_confirmation_names_the_day_of_receipt_on_the_stores_calendar(
    staff_client, buyers, django_capture_on_commit_callbacks
):
    erasure = verified_request(buyers, RequestKind.ERASURE, channel="ML message")
    # 22:30 in São Paulo on the 6th is already the 7th in UTC, staff admin's time zone.
    DataSubjectRequest.objects.filter(pk=erasure.pk).update(
        received_at=datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    )

    with django_capture_on_commit_callbacks(execute=True):
        act(staff_client, "erase_data", erasure)

    erasure.refresh_from_db()
    assert "06/12/2026" in erasure.confirmation_text
    assert "07/12/2026" not in erasure.confirmation_text
