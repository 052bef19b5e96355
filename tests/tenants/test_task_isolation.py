"""A real Celery worker process runs every task in the schema it was sent for."""

import uuid

import pytest
import redis
from django.conf import settings
from django_tenants.utils import tenant_context

from core.tasks import enqueue_on_commit
from peepers.celery import app
from tenants.models import Tenant, TenantStatus
from tenants.services import tenant_create, tenant_set_status
from tenants.tasks import fan_out
from tests.support.processes import celery_worker
from tests.support.tasks import record_schema, schema_key, visit_key
from tests.support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("committed_db")


def wait_for(client, key, seconds=60):
    """The key's value once a worker has set it; None if none did within ``seconds``."""
    return wait_until(lambda: client.get(key), timeout=seconds, every=0.1)


def test_worker_runs_each_task_in_its_tenant_and_refuses_public_for_tenant_tasks():
    client = redis.Redis.from_url(settings.REDIS_URL)
    tenant_a = Tenant.objects.get(schema_name="tenant-a")
    tenant_b = Tenant.objects.get(schema_name="tenant-b")
    token = {name: uuid.uuid4().hex for name in ("a", "b", "forged", "public")}

    with celery_worker("tests.support.tasks"):
        with tenant_context(tenant_a):
            record_schema.delay(token["a"])
        with tenant_context(tenant_b):
            enqueue_on_commit(record_schema, args=[token["b"]])
        # A delivery forged past the send-time check must be refused, not run in public.
        app.send_task(
            "tests.record_schema",
            args=[token["forged"]],
            headers={"_schema_name": "public"},
            queue="default",
        )
        # The solo worker takes the queue in order: once this ran, the forged one was handled.
        app.send_task(
            "tests.record_schema_anywhere",
            args=[token["public"]],
            headers={"_schema_name": "public"},
            queue="default",
        )
        assert wait_for(client, schema_key(token["public"])) == b"public"

    assert client.get(schema_key(token["a"])) == b"tenant-a"
    assert client.get(schema_key(token["b"])) == b"tenant-b"
    assert client.get(schema_key(token["forged"])) is None


def test_fan_out_reaches_every_active_store_once_and_skips_the_others():
    client = redis.Redis.from_url(settings.REDIS_URL)
    suspended = tenant_create(
        name="Paused",
        slug="paused-store",
        owner_email="paused@example.com",
        owner_password=None,
        plan_code="starter",
        terms_accepted=True,
        channel="command",
    ).tenant
    tenant_set_status(tenant=suspended, status=TenantStatus.SUSPENDED)

    with celery_worker("tests.support.tasks"):
        fan_out.delay("tests.record_visit", 0)
        visited = {
            schema: wait_for(client, visit_key(schema)) for schema in ("tenant-a", "tenant-b")
        }
        app.send_task("tests.record_schema_anywhere", args=["fan-out-done"], queue="low")
        assert wait_for(client, schema_key("fan-out-done")) == b"public"

    assert visited == {"tenant-a": b"tenant-a", "tenant-b": b"tenant-b"}
    assert client.get(visit_key("paused-store")) is None
    assert client.get(visit_key("public")) is None
