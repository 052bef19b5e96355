"""The runbook's checklists as live checks, the saved report, and the records of processing."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from compliance.checklists import CHECKS, Outcome, checklist_run
from compliance.models import ComplianceReport, DataProtectionOfficer, RequestKind, RequestScope
from compliance.registry import declarations
from compliance.reports import records_of_processing
from compliance.requests import dsr_open

pytestmark = pytest.mark.django_db


def result(item):
    return next(r for r in checklist_run() if r.item == item)


def test_every_item_of_the_three_checklists_is_a_check():
    items = {(checklist, item) for checklist, item, _ in CHECKS}
    assert len(items) == 21
    assert {checklist for checklist, _ in items} == {
        "LGPD Compliance",
        "ML API Compliance",
        "SaaS Billing Compliance",
    }
    assert all(r.outcome in Outcome for r in checklist_run())


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


def test_stripe_security_is_checked_by_forging_a_signature(settings):
    settings.STRIPE_WEBHOOK_SECRET = ["whsec_x"]
    assert result("Stripe integration secure").outcome == Outcome.PASS

    settings.STRIPE_WEBHOOK_SECRET = []
    assert result("Stripe integration secure").outcome == Outcome.FAIL


def test_card_data_never_touches_our_pages():
    found = result("PCI DSS requirements met")
    assert found.outcome == Outcome.PASS


def test_the_ip_allow_list_check(settings):
    settings.ML_WEBHOOK_ALLOWED_IPS = []
    assert result("IP whitelist validation active").outcome == Outcome.FAIL
    settings.ML_WEBHOOK_ALLOWED_IPS = ["54.88.218.97"]
    assert result("IP whitelist validation active").outcome == Outcome.PASS


def test_the_report_is_saved_and_written(capsys, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("compliance_report", by="tests")

    printed = capsys.readouterr().out
    report = ComplianceReport.objects.get()
    assert report.passed + report.failed + report.unknown == 21
    assert "[FAIL] DPO contact updated" in printed
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
