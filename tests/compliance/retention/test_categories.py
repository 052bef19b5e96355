"""Each category removes (or anonymizes) exactly what is past its period, nothing newer."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from billing.models import StripeEvent
from compliance.audit.models import AuditEvent
from compliance.dsr.requests import dsr_open
from compliance.dsr.scrub import ERASED
from compliance.models import DataSubjectRequest, RequestKind, RequestScope
from compliance.retention.models import RetentionCategory, RetentionPolicy
from compliance.retention.services import retention_run
from integrations.mercadolivre.models import MLOrder, MLQuestion
from integrations.models import MLNotification
from tests.compliance.retention import seed
from tests.compliance.retention.conftest import NOW
from tests.support.ml import account_add

pytestmark = pytest.mark.django_db


def run(*categories: str, dry_run: bool = False):
    return retention_run(now=NOW, dry_run=dry_run, categories=categories or None, origin="test")


def test_buyer_data_on_orders_closed_over_five_years_ago_is_anonymized_and_the_order_kept(
    policies, tenant_a
):
    with tenant_context(tenant_a):
        old = seed.order(closed_days_ago=1826)
        recent = seed.order(closed_days_ago=1824)
        never_closed_old = seed.order(closed_days_ago=None, updated_days_ago=2000)

    report = run(RetentionCategory.ORDER_BUYER_DATA)

    assert report.counts["order_buyer_data"] == {"tenant-a": 2}
    with tenant_context(tenant_a):
        for kept_order in (old, never_closed_old):
            row = MLOrder.objects.get(pk=kept_order.pk)
            assert (row.buyer_id, row.buyer_nickname, row.raw["buyer"]) == (None, "", ERASED)
            assert row.total_cents == 5000
        untouched = MLOrder.objects.get(pk=recent.pk)
        assert (untouched.buyer_id, untouched.buyer_nickname) == (987654321, "COMPRADOR_ZEBEDEU")


def test_questions_past_their_period_are_deleted_newer_ones_kept(policies, tenant_a):
    with tenant_context(tenant_a):
        old = seed.question(days_ago=731)
        recent = seed.question(days_ago=729)

    report = run(RetentionCategory.BUYER_QUESTIONS)

    assert report.counts["buyer_questions"] == {"tenant-a": 1}
    with tenant_context(tenant_a):
        assert list(MLQuestion.objects.values_list("pk", flat=True)) == [recent.pk]
        assert not MLQuestion.objects.filter(pk=old.pk).exists()


def test_buyer_data_retention_covers_every_account_of_the_store(policies, tenant_a):
    with tenant_context(tenant_a):
        accounts = [
            account_add(tenant_a, ml_user_id=5560101),
            account_add(tenant_a, ml_user_id=5560102, status="disconnected"),
        ]
        old_orders = [seed.order(closed_days_ago=1826, account=a) for a in accounts]
        old_questions = [seed.question(days_ago=731, account=a) for a in accounts]
        recent = seed.question(days_ago=10, account=accounts[1])

    report = run(RetentionCategory.ORDER_BUYER_DATA, RetentionCategory.BUYER_QUESTIONS)

    assert report.counts["order_buyer_data"] == {"tenant-a": 2}
    assert report.counts["buyer_questions"] == {"tenant-a": 2}
    with tenant_context(tenant_a):
        orders = MLOrder.objects.filter(pk__in=[o.pk for o in old_orders])
        assert sorted(orders.values_list("account_id", "buyer_id")) == [
            (accounts[0].pk, None),
            (accounts[1].pk, None),
        ]
        assert not MLQuestion.objects.filter(pk__in=[q.pk for q in old_questions]).exists()
        assert MLQuestion.objects.filter(pk=recent.pk).exists()


def test_ml_inbox_deletes_finished_rows_past_30_days_and_never_pending_or_dead(policies, tenant_a):
    gone = [
        seed.notification(status=status, days_ago=31, tenant=tenant_a)
        for status in ("processed", "ignored")
    ] + [seed.notification(status="orphaned", days_ago=31)]
    kept = [
        seed.notification(status=status, days_ago=90, tenant=tenant_a)
        for status in ("pending", "processing", "dead")
    ] + [seed.notification(status="processed", days_ago=29, tenant=tenant_a)]

    report = run(RetentionCategory.ML_WEBHOOK_INBOX)

    assert report.counts["ml_webhook_inbox"] == {"tenant-a": 2, "public": 1}
    remaining = set(MLNotification.objects.values_list("pk", flat=True))
    assert remaining == {row.pk for row in kept}
    assert not remaining & {row.pk for row in gone}


def test_stripe_inbox_deletes_finished_rows_past_30_days_and_keeps_failed_and_dead(
    policies, tenant_a
):
    gone = [
        seed.stripe_event(status=status, days_ago=40, tenant=tenant_a)
        for status in ("processed", "ignored", "orphaned")
    ]
    kept = [
        seed.stripe_event(status=status, days_ago=400, tenant=tenant_a)
        for status in ("pending", "processing", "failed", "dead")
    ] + [seed.stripe_event(status="processed", days_ago=29)]

    report = run(RetentionCategory.STRIPE_WEBHOOK_INBOX)

    assert report.total("stripe_webhook_inbox") == len(gone)
    assert set(StripeEvent.objects.values_list("pk", flat=True)) == {row.pk for row in kept}


def test_export_files_past_their_link_are_deleted_and_their_request_forgets_them(
    policies, tenant_a, media
):
    request = dsr_open(
        tenant=tenant_a,
        scope=RequestScope.SELLER_USER,
        kind=RequestKind.ACCESS,
        channel="test",
        subject_email="owner@a.example.com",
    ).request
    old = seed.export_file(media, "tenant-a", "request-old.zip", days_ago=8)
    recent = seed.export_file(media, "tenant-a", "request-new.zip", days_ago=6)
    DataSubjectRequest.objects.filter(pk=request.pk).update(export_path=str(old.relative_to(media)))

    report = run(RetentionCategory.SUBJECT_EXPORTS)

    assert report.counts["subject_exports"] == {"tenant-a": 1}
    assert not old.exists()
    assert recent.exists()
    assert DataSubjectRequest.objects.get(pk=request.pk).export_path == ""


def test_a_policy_shorter_than_the_link_never_deletes_a_file_whose_link_still_works(
    policies, media
):
    RetentionPolicy.objects.filter(category="subject_exports").update(keep_days=1)
    recent = seed.export_file(media, "tenant-a", "request-new.zip", days_ago=3)

    assert run(RetentionCategory.SUBJECT_EXPORTS).total() == 0
    assert recent.exists()


def test_audit_events_past_six_months_go_through_the_audit_purge_or_are_reported_skipped(
    policies,
):
    old = seed.audit_event(days_ago=200)
    recent = seed.audit_event(days_ago=100)

    report = run(RetentionCategory.AUDIT_ACCESS_LOG)

    outcome = report.outcomes["audit_access_log"]
    if outcome.startswith("skipped"):
        assert "append-only" in outcome
        assert AuditEvent.objects.filter(pk=old.pk).exists()
    else:
        assert report.counts["audit_access_log"] == {"public": 1}
        assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    assert report.errors == []


def test_an_inactive_policy_is_not_enforced(policies, tenant_a):
    RetentionPolicy.objects.filter(category="buyer_questions").update(active=False)
    with tenant_context(tenant_a):
        seed.question(days_ago=5000)

    report = run(RetentionCategory.BUYER_QUESTIONS)

    assert report.outcomes["buyer_questions"] == "inactive"
    assert report.total() == 0
    with tenant_context(tenant_a):
        assert MLQuestion.objects.count() == 1


@pytest.mark.parametrize(
    ("category", "days"), [("order_buyer_data", 1000), ("audit_access_log", 90)]
)
def test_staff_cannot_set_a_period_shorter_than_the_law_requires(policies, category, days):
    policy = RetentionPolicy.objects.get(category=category)
    policy.keep_days = days

    with pytest.raises(ValidationError):
        policy.full_clean()


def test_every_category_the_code_enforces_has_a_seeded_policy(policies):
    seeded = set(RetentionPolicy.objects.values_list("category", flat=True))
    assert seeded == {str(c) for c in RetentionCategory}
