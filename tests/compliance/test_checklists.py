"""The runbook's checklists as live checks, the saved report, and the records of processing."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from compliance.attestations import attestation_record
from compliance.checklists import Basis, Outcome, base, check, checklist, checklist_run, checks
from compliance.dsr.requests import dsr_open
from compliance.errors import AttestationInvalid
from compliance.models import (
    ChecklistAttestation,
    ComplianceReport,
    DataProtectionOfficer,
    DataSubjectRequest,
    RequestKind,
    RequestScope,
    RequestStatus,
)
from compliance.registry import declarations
from compliance.reports import records_of_processing

pytestmark = pytest.mark.django_db


def result(item):
    return next(r for r in checklist_run() if r.item == item)


# The report's order, which saved reports and attestations were written in.
REPORT_ORDER = [
    ("SaaS Billing Compliance", "Stripe integration secure"),
    ("SaaS Billing Compliance", "PCI DSS requirements met"),
    ("SaaS Billing Compliance", "Tax calculations accurate"),
    ("SaaS Billing Compliance", "Subscription lifecycle managed"),
    ("SaaS Billing Compliance", "Invoice generation automated"),
    ("SaaS Billing Compliance", "Payment failure handling"),
    ("SaaS Billing Compliance", "Refund processing compliant"),
    ("LGPD Compliance", "Data minimization implemented"),
    ("LGPD Compliance", "Consent management active"),
    ("LGPD Compliance", "Data retention policies enforced"),
    ("LGPD Compliance", "Subject access requests handled"),
    ("LGPD Compliance", "Privacy by design verified"),
    ("LGPD Compliance", "DPO contact updated"),
    ("LGPD Compliance", "Breach notification procedures tested"),
    ("ML API Compliance", "Webhook 500ms timeout enforced"),
    ("ML API Compliance", "IP whitelist validation active"),
    ("ML API Compliance", "Rate limiting implemented"),
    ("ML API Compliance", "OAuth 2.0 + PKCE compliant"),
    ("ML API Compliance", "Token refresh rotation working"),
    ("ML API Compliance", "Error handling comprehensive"),
    ("ML API Compliance", "Monitoring alerts configured"),
]


def test_every_item_of_the_three_checklists_is_a_check_in_report_order():
    results = checklist_run()

    assert [(r.checklist, r.item) for r in results] == REPORT_ORDER
    assert [(i.checklist, i.item) for i in checks()] == REPORT_ORDER
    assert all(r.outcome in Outcome for r in results)
    assert {r.item for r in results if r.basis == Basis.CHECK_AND_ATTESTATION} == {
        "PCI DSS requirements met",
        "Privacy by design verified",
    }


@pytest.fixture
def empty_registry(monkeypatch):
    monkeypatch.setattr(base, "_CHECKLISTS", {})
    monkeypatch.setattr(base, "_ITEMS", {})


def planted(now):
    return Outcome.PASS, "planted", {}


def other_planted(now):
    return Outcome.PASS, "planted", {}


def test_items_run_in_declared_order_whatever_order_they_register_in(empty_registry):
    check("Second", "b2", position=2)(planted)
    check("First", "a1", position=1)(planted)
    check("Second", "b1", position=1)(planted)
    checklist("Second", position=20)
    checklist("First", position=10)

    assert [(r.checklist, r.item) for r in checklist_run()] == [
        ("First", "a1"),
        ("Second", "b1"),
        ("Second", "b2"),
    ]


def test_an_item_of_a_checklist_never_declared_is_refused(empty_registry):
    check("Nowhere", "lost", position=1)(planted)

    with pytest.raises(ValueError, match="never declared"):
        checks()


def test_an_item_checked_twice_or_a_place_taken_twice_is_refused(empty_registry):
    checklist("First", position=1)
    check("First", "a1", position=1)(planted)

    with pytest.raises(ValueError, match="already checked"):
        check("First", "a1", position=2)(other_planted)
    with pytest.raises(ValueError, match="position 1"):
        check("First", "a2", position=1)(other_planted)
    with pytest.raises(ValueError, match="position 1"):
        checklist("Second", position=1)


def test_the_dpo_check_follows_admin():
    assert result("DPO contact updated").outcome == Outcome.FAIL

    dpo = DataProtectionOfficer.objects.create(name="Ana Encarregada", email="dpo@peepers.test")
    assert result("DPO contact updated").outcome == Outcome.PASS

    DataProtectionOfficer.objects.filter(pk=dpo.pk).update(
        updated_at=timezone.now() - timedelta(days=400)
    )
    assert result("DPO contact updated").outcome == Outcome.FAIL


def test_an_overdue_request_fails_the_access_requests_item(tenant_a):
    dsr_open(
        tenant=tenant_a,
        scope=RequestScope.BUYER,
        kind=RequestKind.ACCESS,
        channel="e-mail",
        subject_ml_user_id=5,
        received_at=timezone.now() - timedelta(days=20),
    )

    found = result("Subject access requests handled")
    assert found.outcome == Outcome.FAIL
    assert "1 past the legal deadline" in found.evidence


def test_data_minimization_passes_when_the_registry_is_complete():
    assert result("Data minimization implemented").outcome == Outcome.PASS


def test_a_card_field_in_a_template_fails_pci_and_privacy_by_design(settings, tmp_path):
    (tmp_path / "templates" / "billing").mkdir(parents=True)
    (tmp_path / "templates" / "billing" / "pay.html").write_text('<input name="card_number">')
    settings.BASE_DIR = tmp_path

    pci = result("PCI DSS requirements met")
    by_design = result("Privacy by design verified")

    assert pci.outcome == Outcome.FAIL
    assert "template billing/pay.html" in pci.evidence
    assert by_design.outcome == Outcome.FAIL
    assert (
        by_design.details["measures"][
            "no card field in our pages or models (hosted Checkout/Portal)"
        ]
        is False
    )


def test_privacy_by_design_is_unknown_until_its_review_is_attested_and_again_after_a_year(
    settings,
):
    settings.SESSION_COOKIE_SECURE = True
    assert result("Privacy by design verified").outcome == Outcome.UNKNOWN

    attestation_record(
        item="Privacy by design verified",
        by="dpo@peepers.test",
        statement="2026 review of features and processors done",
        now=timezone.now() - timedelta(days=366),
    )
    assert result("Privacy by design verified").outcome == Outcome.UNKNOWN  # expired

    attestation_record(
        item="Privacy by design verified", by="dpo@peepers.test", statement="2027 review done"
    )
    assert result("Privacy by design verified").outcome == Outcome.PASS


def test_no_request_in_the_year_is_unknown_not_pass():
    found = result("Subject access requests handled")

    assert found.outcome == Outcome.UNKNOWN
    assert "nothing to check" in found.evidence


def test_a_request_answered_in_time_passes_the_access_requests_item(tenant_a):
    opened = dsr_open(
        tenant=tenant_a,
        scope=RequestScope.BUYER,
        kind=RequestKind.ACCESS,
        channel="e-mail",
        subject_ml_user_id=5,
        received_at=timezone.now() - timedelta(days=3),
    )
    DataSubjectRequest.objects.filter(pk=opened.request.pk).update(
        status=RequestStatus.COMPLETED, completed_at=timezone.now()
    )

    found = result("Subject access requests handled")

    assert found.outcome == Outcome.PASS
    assert "1 answered in 365 days, 0 after the deadline" in found.evidence


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"item": "DPO contact updated"}, "takes no attestation"),
        ({"by": "someone"}, "must be named by e-mail"),
        ({"statement": "  "}, "say what you attest"),
    ],
)
def test_a_bad_attestation_is_refused(kwargs, message):
    given = {"item": "PCI DSS requirements met", "by": "a@peepers.test", "statement": "done"}

    with pytest.raises(AttestationInvalid, match=message):
        attestation_record(**{**given, **kwargs})


def test_the_attest_command_records_and_lists(capsys):
    call_command(
        "compliance_attest",
        item="PCI DSS requirements met",
        by="finance@peepers.test",
        statement="SAQ A signed",
    )
    call_command("compliance_attest", list=True)

    printed = capsys.readouterr().out
    assert "PCI DSS requirements met: attested by finance@peepers.test" in printed
    assert "Privacy by design verified: " in printed
    assert "NOT ATTESTED" in printed
    with pytest.raises(CommandError, match="takes no attestation"):
        call_command("compliance_attest", item="Nope", by="a@peepers.test", statement="x")


def test_staff_attest_from_admin_under_their_own_name(staff_client):
    from tests.support.clients import STAFF_EMAIL

    page = staff_client.post(
        "/admin/compliance/checklistattestation/add/",
        {"item": "PCI DSS requirements met", "statement": "SAQ A signed"},
        follow=True,
    )

    assert page.status_code == 200
    found = ChecklistAttestation.objects.get()
    assert found.attested_by == STAFF_EMAIL.lower()
    assert found.statement == "SAQ A signed"


def test_the_report_is_saved_and_written(capsys, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("compliance_report", by="tests")

    printed = capsys.readouterr().out
    report = ComplianceReport.objects.get()
    assert report.passed + report.failed + report.unknown == 21
    assert "[FAIL] DPO contact updated (check)" in printed
    assert "[  ? ] PCI DSS requirements met (check and attestation): " in printed
    assert (
        "<td>check and attestation</td>"
        in (tmp_path / "compliance")
        .joinpath(next(p.name for p in (tmp_path / "compliance").iterdir() if p.suffix == ".html"))
        .read_text()
    )
    written = sorted(p.suffix for p in (tmp_path / "compliance").iterdir())
    assert written == [".html", ".json"]


def test_staff_run_the_checklists_from_admin(settings, tmp_path, staff_client):
    settings.MEDIA_ROOT = tmp_path

    ran = staff_client.post("/admin/compliance/compliancereport/run/", follow=True)

    assert ran.status_code == 200
    assert "DPO contact updated" in ran.text
    assert ComplianceReport.objects.count() == 1


def test_records_of_processing_come_from_the_registry_and_the_purposes():
    DataProtectionOfficer.objects.create(name="Ana Encarregada", email="dpo@peepers.test")

    record = records_of_processing()

    assert record["encarregado"]["email"] == "dpo@peepers.test"
    assert {d["model"] for d in record["data"]} == {d.label for d in declarations()}
    assert record["purposes"], "the seeded purposes"
    assert all(p["legal_basis"] for p in record["purposes"])
    json.dumps(record)  # exportable as is


def test_the_dpo_from_admin_is_published_on_the_privacy_pages(tenant_a):
    from tests.support.clients import store_client

    DataProtectionOfficer.objects.create(
        name="Ana Encarregada", email="dpo@peepers.test", phone="+55 11 4000-0000"
    )

    public = Client(HTTP_HOST="localhost").get("/legal/privacy/")
    center = store_client(tenant_a, login=True).get("/privacy/")

    assert "dpo@peepers.test" in public.text
    assert "+55 11 4000-0000" in public.text
    assert "Ana Encarregada" in center.text
