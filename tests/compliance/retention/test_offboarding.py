"""A closed store past its period: final export, owner e-mailed, schema dropped; others kept.

These tests drop schemas, so they commit (``committed_db``) and make their own stores.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone
from django_tenants.utils import schema_exists, tenant_context

from compliance.dsr.exports import export_link_token
from compliance.retention.models import StoreOffboarding
from compliance.retention.offboarding import DOWNLOAD_PATH
from compliance.retention.services import retention_run
from compliance.retention.views import offboarding_export_download
from integrations.mercadolivre.models import MLOrder
from tenants.models import Tenant, TenantStatus
from tenants.services import tenant_create, tenant_set_status
from tests.compliance.retention import seed
from tests.compliance.retention.conftest import NOW, policies_seed
from tests.support.db import OWNER_PASSWORD, store_requests_delete


@pytest.fixture
def stores(committed_db, media, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    policies_seed()
    made = {}
    for slug, closed_days_ago in (("ret-gone", 91), ("ret-recent", 30)):
        tenant = tenant_create(
            name=slug,
            slug=slug,
            owner_email=f"owner@{slug}.example.com",
            owner_password=OWNER_PASSWORD,
            plan_code="starter",
            terms_accepted=True,
            channel="command",
        ).tenant
        with tenant_context(tenant):
            seed.order(closed_days_ago=10)
        tenant_set_status(tenant=tenant, status=TenantStatus.CLOSED)
        Tenant.objects.filter(pk=tenant.pk).update(
            updated_at=timezone.now() - timedelta(days=closed_days_ago)
        )
        made[slug] = tenant
    yield made
    # The offboarding's requests protect their store row from database_reset's delete.
    store_requests_delete(tenant__in=made.values())


def test_a_closed_store_past_its_period_is_exported_then_dropped_and_the_others_kept(
    stores, media, tenant_a
):
    report = retention_run(now=NOW, categories=["closed_stores"], origin="test")

    assert report.errors == []
    assert report.counts["closed_stores"] == {"ret-gone": 1}
    assert not schema_exists("ret-gone")
    assert schema_exists("ret-recent")
    assert schema_exists("tenant-a")
    with tenant_context(stores["ret-recent"]):
        assert MLOrder.objects.count() == 1
    gone = Tenant.objects.get(schema_name="ret-gone")  # the row stays, for billing
    assert gone.status == TenantStatus.CLOSED
    offboarding = StoreOffboarding.objects.get(tenant=gone)
    assert offboarding.exported_at <= offboarding.notified_at <= offboarding.schema_dropped_at
    export = Path(media) / offboarding.export_path
    assert export.is_file()
    assert offboarding.export_path.startswith("offboarding/ret-gone/")
    request = offboarding.request
    assert (request.channel, request.kind, request.status) == (
        "offboarding",
        "portability",
        "completed",
    )
    assert [m.to for m in mail.outbox] == [["owner@ret-gone.example.com"]]
    assert DOWNLOAD_PATH in mail.outbox[0].body


def test_the_final_export_downloads_from_the_public_host_with_its_signed_link(stores, media):
    retention_run(now=NOW, categories=["closed_stores"], origin="test")
    offboarding = StoreOffboarding.objects.get(schema_name="ret-gone")
    token = export_link_token(request=offboarding.request)

    response = offboarding_export_download(RequestFactory().get("/"), token)
    forged = offboarding_export_download(RequestFactory().get("/"), token[:-2] + "xx")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"PK")
    response.close()
    assert forged.status_code == 404


def test_offboarding_runs_once_a_second_run_removes_nothing(stores):
    retention_run(now=NOW, categories=["closed_stores"], origin="test")
    again = retention_run(now=NOW, origin="test")

    assert again.counts.get("closed_stores", {}) == {}
    assert again.errors == []
    assert StoreOffboarding.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_dry_run_names_the_store_and_drops_nothing(stores):
    dry = retention_run(now=NOW, dry_run=True, categories=["closed_stores"], origin="test")

    assert dry.counts["closed_stores"] == {"ret-gone": 1}
    assert schema_exists("ret-gone")
    assert not StoreOffboarding.objects.exists()
    assert mail.outbox == []
