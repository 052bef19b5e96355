"""Signal receivers that feed the audit log: logins on every host, and permission changes of
staff accounts (users of the public schema), with the values before and after."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django_tenants.utils import get_public_schema_name

from compliance.audit.models import ActorKind, AuditAction
from compliance.audit.services import (
    Actor,
    actor_for_user,
    audit_record,
    current_request,
    is_store_side,
)
from tenants.context import current_schema
from tenants.signals import tenant_status_changed
from users.models import User

FLAGS = ("is_staff", "is_superuser", "is_active")


def _on_public_schema() -> bool:
    return current_schema() == get_public_schema_name()


@receiver(user_logged_in, dispatch_uid="audit_login_succeeded")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(
        action=AuditAction.LOGIN_SUCCEEDED,
        actor=actor_for_user(user=user, request=request),
        request=request,
    )


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    audit_record(
        action=AuditAction.LOGOUT, actor=actor_for_user(user=user, request=request), request=request
    )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already masked the password in ``credentials``; only the name is kept.
    claimed = str(credentials.get("username") or credentials.get("email") or "")
    on_store = is_store_side(request)
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        actor=Actor(
            kind=ActorKind.USER if on_store else ActorKind.STAFF, email=claimed.strip()[:254]
        ),
        request=request,
    )


def _acting() -> Actor | None:
    """The user changing permissions (in an admin request), else None: ``audit_record``'s
    default (the system)."""
    request = current_request()
    if request is None:
        return None
    return actor_for_user(user=getattr(request, "user", None), request=request)


@receiver(pre_save, sender=User, dispatch_uid="audit_user_flags_before")
def _user_flags_before(sender: Any, instance: User, raw: bool = False, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if raw or instance.pk is None or not _on_public_schema():
        return
    if update_fields is not None and not set(update_fields) & set(FLAGS):
        return  # e.g. last_login on every login
    before = User.objects.filter(pk=instance.pk).values(*FLAGS).first()
    instance._audit_flags_before = before  # type: ignore[attr-defined]


@receiver(post_save, sender=User, dispatch_uid="audit_user_flags_after")
def _user_flags_after(
    sender: Any, instance: User, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw or not _on_public_schema():
        return
    before: dict[str, bool] | None = instance.__dict__.pop("_audit_flags_before", None)
    after = {flag: bool(getattr(instance, flag)) for flag in FLAGS}
    if created:
        if not (instance.is_staff or instance.is_superuser):
            return
        changes = {flag: {"old": None, "new": value} for flag, value in after.items()}
    elif before is None:
        return
    else:
        changes = {
            flag: {"old": before[flag], "new": after[flag]}
            for flag in FLAGS
            if before[flag] != after[flag]
        }
    if changes:
        audit_record(
            action=AuditAction.ADMIN_PERMISSION_CHANGE,
            actor=_acting(),
            obj=instance,
            details={"user": instance.email, "created": created, "changes": changes},
        )


def _names(model: type[Group] | type[Permission], pks: set[Any] | None) -> list[str]:
    if not pks:
        return []
    if model is Permission:
        return sorted(
            f"{app}.{codename}"
            for app, codename in Permission.objects.filter(pk__in=pks).values_list(
                "content_type__app_label", "codename"
            )
        )
    return sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True))


def _current(user: User, relation: str) -> list[str]:
    if relation == "groups":
        return sorted(user.groups.values_list("name", flat=True))
    return sorted(
        f"{app}.{codename}"
        for app, codename in user.user_permissions.values_list(
            "content_type__app_label", "codename"
        )
    )


def _m2m_changed(relation: str, target: type[Group] | type[Permission]) -> Any:
    """A receiver for ``User.<relation>``: one event per user whose groups/permissions changed."""

    def receiver_(
        sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[Any] | None, **kw: Any
    ) -> None:
        if not _on_public_schema():
            return
        if action == "pre_clear":
            # What is about to go, kept for the post_clear event.
            if reverse:
                instance._audit_cleared_users = set(instance.user_set.values_list("pk", flat=True))
            else:
                instance._audit_cleared = _current(instance, relation)
            return
        if action not in {"post_add", "post_remove", "post_clear"}:
            return
        if reverse:
            # group.user_set.add(u1, u2): ``instance`` is the group/permission, pk_set the users.
            if action == "post_clear":
                pk_set = instance.__dict__.pop("_audit_cleared_users", set())
            users = list(User.objects.filter(pk__in=pk_set or ()))
            changed = _names(target, {instance.pk})
        else:
            users = [instance]
            changed = _names(target, pk_set)
        for user in users:
            new = _current(user, relation)
            if action == "post_add":
                old = sorted(set(new) - set(changed))
            elif action == "post_clear" and not reverse:
                old = user.__dict__.pop("_audit_cleared", [])
            else:
                old = sorted(set(new) | set(changed))
            if old == new:
                continue
            audit_record(
                action=AuditAction.ADMIN_PERMISSION_CHANGE,
                actor=_acting(),
                obj=user,
                details={"user": user.email, "changes": {relation: {"old": old, "new": new}}},
            )

    return receiver_


_groups_changed = _m2m_changed("groups", Group)
_permissions_changed = _m2m_changed("user_permissions", Permission)
m2m_changed.connect(_groups_changed, sender=User.groups.through, dispatch_uid="audit_groups")
m2m_changed.connect(
    _permissions_changed, sender=User.user_permissions.through, dispatch_uid="audit_permissions"
)


@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="audit_group_permissions")
def _group_permissions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[Any] | None, **kw: Any
) -> None:
    """A group's permissions change every member's: recorded once, on the group."""
    if (
        not _on_public_schema()
        or reverse
        or action not in {"post_add", "post_remove", "post_clear"}
    ):
        return
    audit_record(
        action=AuditAction.ADMIN_PERMISSION_CHANGE,
        actor=_acting(),
        obj=instance,
        details={
            "group": instance.name,
            "operation": action.removeprefix("post_"),
            "permissions": _names(Permission, pk_set),
            "members": sorted(instance.user_set.values_list("email", flat=True)),
        },
    )


@receiver(tenant_status_changed, dispatch_uid="audit_tenant_status_changed")
def _tenant_status_changed(
    sender: Any, tenant: Any, previous: str, status: str, **kwargs: Any
) -> None:
    """Suspending, reactivating or closing a store: who (the request's user, staff in admin,
    or the system), which store, from what to what."""
    audit_record(
        action=AuditAction.TENANT_STATUS_CHANGED,
        tenant=tenant,
        obj=tenant,
        details={"from": str(previous), "to": str(status)},
    )
