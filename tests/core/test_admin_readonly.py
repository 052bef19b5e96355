"""The read-only admin: staff list and view, nobody adds, edits or deletes, superusers included."""

from django.contrib import admin
from django.test import RequestFactory

from compliance.audit.models import AuditEvent
from core.admin_readonly import ReadOnlyAdmin
from users.models import User


def superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = User(email="root@example.com", is_staff=True, is_superuser=True)
    return request


def test_a_read_only_admin_refuses_a_superuser_every_change():
    model_admin = ReadOnlyAdmin(AuditEvent, admin.site)
    request = superuser_request()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_a_read_only_admin_still_lets_a_superuser_view():
    assert ReadOnlyAdmin(AuditEvent, admin.site).has_view_permission(superuser_request())
