"""The monthly access review: lists staff, disables the inactive, records what it did."""

import json
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from compliance.audit.models import AuditAction, AuditEvent
from compliance.audit.tasks import access_review
from users.models import User


def make_staff(email, *, last_login_days=None, joined_days=0, superuser=False):
    now = timezone.now()
    user = User.objects.create_user(
        email,
        "a-long-password-123",
        is_staff=True,
        is_superuser=superuser,
        date_joined=now - timedelta(days=joined_days),
    )
    if last_login_days is not None:
        User.objects.filter(pk=user.pk).update(last_login=now - timedelta(days=last_login_days))
    return user


def run(*args):
    out = StringIO()
    call_command("access_review", *args, stdout=out)
    return out.getvalue()


def test_inactive_staff_are_disabled_and_the_review_is_recorded(db):
    make_staff("recent@peepers.test", last_login_days=5, joined_days=400)
    make_staff("idle@peepers.test", last_login_days=120, joined_days=400, superuser=True)
    make_staff("never@peepers.test", joined_days=91)
    make_staff("new@peepers.test", joined_days=3)

    document = json.loads(run("--json"))

    assert document["disabled"] == ["idle@peepers.test", "never@peepers.test"]
    assert set(User.objects.filter(is_active=False).values_list("email", flat=True)) == {
        "idle@peepers.test",
        "never@peepers.test",
    }
    review = AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW)
    assert [entry["email"] for entry in review.details["staff"]] == [
        "idle@peepers.test",
        "never@peepers.test",
        "new@peepers.test",
        "recent@peepers.test",
    ]
    assert review.actor_kind == "system"
    disabled = AuditEvent.objects.filter(action=AuditAction.STAFF_DISABLED)
    assert sorted(disabled.values_list("details__user", flat=True)) == document["disabled"]
    # The disabling is the staff_disabled event, not also a permission change.
    assert not AuditEvent.objects.filter(
        action=AuditAction.ADMIN_PERMISSION_CHANGE, details__changes__is_active__new=False
    ).exists()


def test_a_second_run_disables_and_records_nothing_more(db):
    make_staff("idle@peepers.test", last_login_days=120)
    run()

    output = run()

    assert "0 disabled" in output
    assert AuditEvent.objects.filter(action=AuditAction.STAFF_DISABLED).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REVIEW).count() == 2


def test_a_dry_run_changes_and_records_nothing(db):
    make_staff("idle@peepers.test", last_login_days=120)

    output = run("--dry-run", "--inactive-days", "30")

    assert "idle@peepers.test" in output
    assert "1 would be disabled" in output
    assert User.objects.get(email="idle@peepers.test").is_active
    assert not AuditEvent.objects.filter(
        action__in=[AuditAction.ACCESS_REVIEW, AuditAction.STAFF_DISABLED]
    ).exists()


def test_the_threshold_comes_from_the_setting_or_the_option(db, settings):
    make_staff("idle@peepers.test", last_login_days=40)
    settings.ACCESS_REVIEW_INACTIVE_DAYS = 60
    run()
    assert User.objects.get(email="idle@peepers.test").is_active

    run("--inactive-days", "30")

    assert not User.objects.get(email="idle@peepers.test").is_active


def test_the_table_lists_groups_and_permissions(db):
    from django.contrib.auth.models import Group, Permission

    user = make_staff("support@peepers.test", last_login_days=1)
    group = Group.objects.create(name="support")
    group.permissions.add(Permission.objects.get(codename="view_auditevent"))
    user.groups.add(group)

    output = run()

    assert "support@peepers.test" in output
    assert "audit.view_auditevent" in output


def test_the_monthly_task_runs_the_review(db, settings):
    settings.ACCESS_REVIEW_INACTIVE_DAYS = 90
    make_staff("idle@peepers.test", last_login_days=100)

    result = access_review.apply().get()

    assert result == {"staff": 1, "disabled": ["idle@peepers.test"]}
    assert (
        AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW).actor_id == "audit.access_review"
    )
