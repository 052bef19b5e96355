"""Runs: a second run removes nothing, a dry run changes nothing, stores stay apart, the report."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from billing.models import StripeEvent
from compliance.retention.models import RetentionRun, RunStatus
from compliance.retention.services import (
    retention_run,
    retention_run_start,
    retention_store_run,
)
from integrations.mercadolivre.models import MLOrder, MLQuestion
from integrations.models import MLNotification
from tests.compliance.retention import seed
from tests.compliance.retention.conftest import NOW

pytestmark = pytest.mark.django_db


def seed_everything(media, *stores) -> None:
    for tenant in stores:
        with tenant_context(tenant):
            seed.order(closed_days_ago=1900)
            seed.order(closed_days_ago=10)
            seed.question(days_ago=800)
            seed.question(days_ago=10)
        seed.notification(status="processed", days_ago=60, tenant=tenant)
        seed.notification(status="pending", days_ago=60, tenant=tenant)
        seed.stripe_event(status="processed", days_ago=60, tenant=tenant)
        seed.stripe_event(status="dead", days_ago=60, tenant=tenant)
        seed.export_file(media, tenant.schema_name, "request-1.zip", days_ago=30)
    seed.audit_event(days_ago=400)


def store_rows(tenant) -> tuple[list[Any], list[Any]]:
    with tenant_context(tenant):
        return (
            sorted(MLOrder.objects.values_list("pk", "buyer_id", "buyer_nickname", "raw")),
            sorted(MLQuestion.objects.values_list("pk", flat=True)),
        )


def test_retention_run_twice_removes_nothing_the_second_time(policies, media, tenant_a, tenant_b):
    seed_everything(media, tenant_a, tenant_b)

    first = retention_run(now=NOW, origin="test")
    second = retention_run(now=NOW, origin="test")

    assert first.counts["order_buyer_data"] == {"tenant-a": 1, "tenant-b": 1}
    assert first.counts["buyer_questions"] == {"tenant-a": 1, "tenant-b": 1}
    assert first.counts["ml_webhook_inbox"] == {"tenant-a": 1, "tenant-b": 1}
    assert first.counts["stripe_webhook_inbox"] == {"tenant-a": 1, "tenant-b": 1}
    assert first.counts["subject_exports"] == {"tenant-a": 1, "tenant-b": 1}
    assert first.errors == []
    assert first.status == RunStatus.SUCCEEDED
    assert second.total() == 0, second.counts
    assert second.errors == []
    assert second.status == RunStatus.SUCCEEDED


def test_a_dry_run_reports_what_would_go_and_changes_nothing(policies, media, tenant_a, tenant_b):
    seed_everything(media, tenant_a, tenant_b)
    before = (store_rows(tenant_a), store_rows(tenant_b))
    inbox = (MLNotification.objects.count(), StripeEvent.objects.count())

    dry = retention_run(now=NOW, dry_run=True, origin="test")

    assert (store_rows(tenant_a), store_rows(tenant_b)) == before
    assert (MLNotification.objects.count(), StripeEvent.objects.count()) == inbox
    assert list(media.rglob("*.zip")) != []
    assert RetentionRun.objects.get(pk=dry.run_id).dry_run is True
    real = retention_run(now=NOW, origin="test")
    for category in ("order_buyer_data", "buyer_questions", "ml_webhook_inbox"):
        assert dry.counts[category] == real.counts[category]


def test_a_stores_run_never_touches_another_stores_rows(policies, media, tenant_a, tenant_b):
    seed_everything(media, tenant_a, tenant_b)
    before_b = store_rows(tenant_b)
    run = retention_run_start(now=NOW, origin="test")

    retention_store_run(run=run, tenant=tenant_a)

    assert store_rows(tenant_b) == before_b
    assert set(run.counts["order_buyer_data"]) == {"tenant-a"}
    assert set(run.counts["buyer_questions"]) == {"tenant-a"}


def test_the_command_prints_the_report_as_json(policies, media, tenant_a, capsys):
    with tenant_context(tenant_a):
        seed.question(days_ago=800)

    call_command("retention_run", "--json", "--category", "buyer_questions", "--dry-run")

    document = json.loads(capsys.readouterr().out)
    assert document["dry_run"] is True
    assert document["counts"] == {"buyer_questions": {"tenant-a": 1}}
    assert list(document["outcomes"]) == ["buyer_questions"]


def test_the_command_prints_a_table_and_refuses_offboarding_an_open_store(
    policies, media, tenant_a, capsys
):
    call_command("retention_run", "--category", "ml_webhook_inbox")
    assert "0 removed; 0 error(s)." in capsys.readouterr().out

    with pytest.raises(CommandError, match="close the store first"):
        call_command("retention_run", "--offboard", "tenant-a")


def test_the_daily_task_runs_the_public_categories_then_the_stores_and_finishes_the_run(
    policies, media, tenant_a, django_capture_on_commit_callbacks
):
    from compliance.retention.tasks import retention_daily
    from peepers.celery import app

    with tenant_context(tenant_a):
        seed.question(days_ago=5000)
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run_id = retention_daily()
    finally:
        app.conf.task_always_eager = False

    run = RetentionRun.objects.get(pk=run_id)
    assert run.status == RunStatus.SUCCEEDED
    assert run.finished_at is not None
    assert run.counts["buyer_questions"] == {"tenant-a": 1}
