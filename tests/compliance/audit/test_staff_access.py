"""Staff opening admin pages with a store's data: one event per staff member, store and hour."""

from django.utils import timezone

from compliance.audit.models import AuditAction, AuditEvent
from core.redis import redis_client
from integrations.models import MLConnection


def accesses():
    return list(AuditEvent.objects.filter(action=AuditAction.STAFF_TENANT_ACCESS).order_by("id"))


def connection_of(tenant, ml_user_id):
    return MLConnection.objects.create(
        ml_user_id=ml_user_id, tenant=tenant, nickname="SELLER", connected_at=timezone.now()
    )


def test_an_object_page_records_its_store_once_an_hour(staff_client, staff, tenant_a):
    row = connection_of(tenant_a, 1001)
    url = f"/admin/integrations/mlconnection/{row.pk}/change/"

    assert staff_client.get(url).status_code == 200
    assert staff_client.get(url).status_code == 200

    [event] = accesses()
    assert (event.tenant, event.tenant_schema, event.actor_email) == (
        tenant_a,
        "tenant-a",
        staff.email,
    )
    assert (event.object_type, event.object_id) == ("integrations.mlconnection", str(row.pk))
    assert event.details["view"] == "change"
    assert event.ip_address == "198.51.100.7"


def test_another_store_or_the_next_hour_is_recorded_again(staff_client, tenant_a, tenant_b):
    first, second = connection_of(tenant_a, 1001), connection_of(tenant_b, 1002)

    staff_client.get(f"/admin/integrations/mlconnection/{first.pk}/change/")
    staff_client.get(f"/admin/integrations/mlconnection/{second.pk}/change/")
    for key in redis_client().scan_iter("audit:staff-access:*"):
        redis_client().delete(key)  # what an hour passing does
    staff_client.get(f"/admin/integrations/mlconnection/{first.pk}/change/")

    assert [event.tenant for event in accesses()] == [tenant_a, tenant_b, tenant_a]


def test_list_pages_record_the_filtered_store_or_all_stores(staff_client, tenant_a):
    connection_of(tenant_a, 1001)

    staff_client.get("/admin/integrations/mlconnection/")
    staff_client.get("/admin/integrations/mlconnection/")  # a refresh
    staff_client.get(f"/admin/integrations/mlconnection/?tenant__id__exact={tenant_a.pk}")

    unfiltered, filtered = accesses()
    assert (unfiltered.tenant, unfiltered.details["scope"]) == (None, "all stores")
    assert (filtered.tenant, filtered.details["view"]) == (tenant_a, "changelist")


def test_a_stores_own_admin_page_counts_as_its_data(staff_client, tenant_b):
    staff_client.get(f"/admin/tenants/tenant/{tenant_b.pk}/change/")

    assert [event.tenant for event in accesses()] == [tenant_b]


def test_pages_without_store_data_record_nothing(staff_client):
    staff_client.get("/admin/")
    staff_client.get("/admin/billing/plan/")
    staff_client.get("/admin/audit/auditevent/")

    assert accesses() == []


def test_the_admin_mixin_records_like_the_middleware(staff, tenant_a, rf, settings):
    settings.ROOT_URLCONF = settings.PUBLIC_SCHEMA_URLCONF
    from django.contrib import admin

    from compliance.audit.staff_access import StaffTenantAccessAdminMixin

    class Audited(StaffTenantAccessAdminMixin, admin.ModelAdmin):
        pass

    row = connection_of(tenant_a, 1003)
    request = rf.get(f"/admin/integrations/mlconnection/{row.pk}/change/", HTTP_HOST="localhost")
    request.user = staff
    request.tenant = tenant_a.__class__.objects.get(schema_name="public")
    request._dont_enforce_csrf_checks = True
    from django.contrib.messages.storage.fallback import FallbackStorage

    request.session = {}
    request._messages = FallbackStorage(request)

    response = Audited(MLConnection, admin.site).change_view(request, str(row.pk))

    assert response.status_code == 200
    assert [event.tenant for event in accesses()] == [tenant_a]
