"""Changes to staff accounts' flags, groups and permissions are recorded with old and new."""

from django.contrib.auth.models import Group, Permission
from django_tenants.utils import tenant_context

from compliance.audit.models import AuditAction, AuditEvent
from tests.support.clients import owner_of
from users.models import User


def changes():
    return [
        e.details["changes"]
        for e in AuditEvent.objects.filter(action=AuditAction.ADMIN_PERMISSION_CHANGE).order_by(
            "id"
        )
    ]


def test_making_someone_staff_is_recorded_with_old_and_new(db):
    user = User.objects.create_user("helper@peepers.test", "a-long-password-123")
    assert changes() == []

    user.is_staff = True
    user.save()

    event = AuditEvent.objects.get(action=AuditAction.ADMIN_PERMISSION_CHANGE)
    assert event.details["changes"] == {"is_staff": {"old": False, "new": True}}
    assert (event.object_type, event.object_id) == ("users.user", str(user.pk))
    assert event.actor_kind == "system"  # no request: a shell or a command


def test_a_new_superuser_is_recorded(db):
    User.objects.create_superuser("root@peepers.test", "a-long-password-123")

    assert changes() == [
        {
            "is_staff": {"old": None, "new": True},
            "is_superuser": {"old": None, "new": True},
            "is_active": {"old": None, "new": True},
        }
    ]


def test_group_and_permission_changes_are_recorded(db):
    user = User.objects.create_user("helper@peepers.test", "a-long-password-123", is_staff=True)
    support = Group.objects.create(name="support")
    refund = Permission.objects.get(codename="add_refund")
    AuditEvent.objects.all()  # the staff creation is the first event

    user.groups.add(support)
    user.user_permissions.add(refund)
    support.user_set.remove(user)
    user.user_permissions.clear()

    assert changes()[1:] == [
        {"groups": {"old": [], "new": ["support"]}},
        {"user_permissions": {"old": [], "new": ["billing.add_refund"]}},
        {"groups": {"old": ["support"], "new": []}},
        {"user_permissions": {"old": ["billing.add_refund"], "new": []}},
    ]


def test_a_login_updating_last_login_is_not_a_permission_change(staff_client):
    assert changes() == [changes()[0]]  # only the superuser's creation


def test_a_store_users_changes_are_not_staff_permission_changes(tenant_a):
    owner = owner_of(tenant_a)
    with tenant_context(tenant_a):
        owner.is_staff = True
        owner.save()

    assert changes() == []


def test_permission_changes_made_in_admin_name_the_staff_member(staff_client, staff):
    helper = User.objects.create_user("helper@peepers.test", "a-long-password-123")

    response = staff_client.post(
        f"/admin/users/user/{helper.pk}/change/",
        {
            "email": helper.email,
            "full_name": "",
            "role": "member",
            "is_active": "on",
            "is_staff": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.filter(action=AuditAction.ADMIN_PERMISSION_CHANGE).latest("id")
    assert event.details["changes"] == {"is_staff": {"old": False, "new": True}}
    assert (event.actor_kind, event.actor_email) == ("staff", staff.email)
    assert event.ip_address == "198.51.100.7"
