"""The audit log in admin: readable and filterable by staff, never editable, not by superusers."""

from compliance.audit.models import AuditAction, AuditEvent
from compliance.audit.services import Actor, audit_record


def test_staff_read_the_log_filtered_by_action(staff_client, tenant_a):
    audit_record(action=AuditAction.DATA_EXPORT, actor=Actor.system("t"), tenant=tenant_a)

    listing = staff_client.get("/admin/audit/auditevent/?action=data_export")

    assert listing.status_code == 200
    assert "tenant-a" in listing.text
    # The staff login itself is filtered out.
    assert [e.action for e in listing.context["cl"].result_list] == ["data_export"]


def test_search_finds_events_by_ip_and_by_actor_email(staff_client):
    assert (
        staff_client.get("/admin/audit/auditevent/?q=198.51.100.7").context["cl"].result_count == 1
    )
    found = staff_client.get("/admin/audit/auditevent/?q=staff@peepers").context["cl"]
    assert found.result_count >= 1


def test_nobody_can_add_change_or_delete_an_event_in_admin(staff_client):
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_SUCCEEDED)
    change_url = f"/admin/audit/auditevent/{event.pk}/change/"

    assert staff_client.get("/admin/audit/auditevent/add/").status_code == 403
    page = staff_client.get(change_url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    assert staff_client.post(change_url, {"action": "logout"}).status_code == 403
    assert staff_client.get(f"{change_url}delete/").status_code == 403
    bulk = staff_client.post(
        "/admin/audit/auditevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    event.refresh_from_db()
    assert event.action == AuditAction.LOGIN_SUCCEEDED


def test_one_stores_events_never_appear_filtered_for_another(staff_client, tenant_a, tenant_b):
    for _ in range(3):
        audit_record(action=AuditAction.DATA_EXPORT, actor=Actor.system("t"), tenant=tenant_a)
    audit_record(action=AuditAction.DATA_ERASURE, actor=Actor.system("t"), tenant=tenant_b)

    by_public_id = staff_client.get(
        f"/admin/audit/auditevent/?tenant_public_id={tenant_b.public_id}"
    )
    by_fk = staff_client.get(f"/admin/audit/auditevent/?tenant__id__exact={tenant_b.pk}")

    for response in (by_public_id, by_fk):
        rows = list(response.context["cl"].result_list)
        assert [event.action for event in rows] == ["data_erasure"]
        assert {event.tenant_id for event in rows} == {tenant_b.pk}
    assert not AuditEvent.objects.filter(tenant=tenant_b, action="data_export").exists()
