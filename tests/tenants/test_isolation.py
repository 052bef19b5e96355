"""Store A's data never reaches store B: ORM, raw SQL, savepoints, cache, files and tasks."""

import uuid

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django_tenants.utils import get_current_tenant, tenant_context

from core.tasks import TaskSentWithoutTenant
from tests.support.tasks import record_schema, schema_key
from users.models import User

pytestmark = pytest.mark.django_db


def test_rows_created_in_a_are_invisible_in_b(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        user = User.objects.create_user("clerk@a.example.com", "x-long-password-1")
    with tenant_context(tenant_b):
        assert not User.objects.filter(email="clerk@a.example.com").exists()
        assert list(User.objects.values_list("email", flat=True)) == ["owner@b.example.com"]
        assert connection.schema_name == "tenant-b"
    with tenant_context(tenant_a):
        assert User.objects.filter(pk=user.pk, email="clerk@a.example.com").exists()


def test_context_restores_the_previous_tenant(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        with tenant_context(tenant_b):
            assert get_current_tenant().schema_name == "tenant-b"
        assert get_current_tenant().schema_name == "tenant-a"


def test_raw_sql_follows_the_tenant(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        User.objects.create_user("raw@a.example.com", "x-long-password-1")
    with tenant_context(tenant_b), connection.cursor() as cursor:
        cursor.execute("SELECT email FROM users_user ORDER BY email")
        assert [row[0] for row in cursor.fetchall()] == ["owner@b.example.com"]


@pytest.mark.parametrize("limit_set_calls", [False, True])
def test_savepoint_rollback_does_not_strand_the_search_path(
    tenant_a, tenant_b, settings, limit_set_calls
):
    """django-tenants#1262: after ROLLBACK TO SAVEPOINT, B's queries must not read A's rows."""
    settings.TENANT_LIMIT_SET_CALLS = limit_set_calls
    with tenant_context(tenant_a):
        User.objects.create_user("savepoint@a.example.com", "x-long-password-1")
    connection.set_tenant(tenant_a)
    with transaction.atomic():
        assert User.objects.filter(email="savepoint@a.example.com").exists()
        try:
            with transaction.atomic():
                connection.set_tenant(tenant_b)
                User.objects.count()  # sets B's search_path inside the savepoint
                raise RuntimeError("roll the savepoint back")
        except RuntimeError:
            pass
        assert connection.tenant == tenant_b
        assert not User.objects.filter(email="savepoint@a.example.com").exists()
        assert User.objects.count() == 1


def test_cache_keys_are_per_tenant(tenant_a, tenant_b):
    key = f"shared-name-{uuid.uuid4()}"
    with tenant_context(tenant_a):
        cache.set(key, "A's value", 60)
    with tenant_context(tenant_b):
        assert cache.get(key) is None
        cache.set(key, "B's value", 60)
    with tenant_context(tenant_a):
        assert cache.get(key) == "A's value"
    assert cache.get(key) is None  # public


def test_file_storage_is_per_tenant(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        path_a = default_storage.path("export.csv")
    with tenant_context(tenant_b):
        path_b = default_storage.path("export.csv")
    assert path_a != path_b
    assert "tenant-a" in path_a
    assert "tenant-b" in path_b


def test_a_tenant_task_applied_in_a_runs_in_a(tenant_a):
    token = uuid.uuid4().hex
    with tenant_context(tenant_a):
        record_schema.apply(args=[token])
    stored = redis.Redis.from_url(settings.REDIS_URL).get(schema_key(token))
    assert stored == b"tenant-a"


def test_a_tenant_task_sent_without_a_tenant_is_refused():
    assert connection.schema_name == "public"
    with pytest.raises(TaskSentWithoutTenant):
        record_schema.delay("never")
    result = record_schema.apply(args=["never"])  # eager: runs here, without a tenant
    assert result.failed()
    assert isinstance(result.result, TaskSentWithoutTenant)
    assert redis.Redis.from_url(settings.REDIS_URL).get(schema_key("never")) is None


def test_enqueueing_a_tenant_task_for_no_tenant_fails_before_commit():
    from core.tasks import enqueue_on_commit

    with pytest.raises(TaskSentWithoutTenant):
        enqueue_on_commit(record_schema, args=["never"])
