"""What the accounts app does: the team (invite, accept, change role, remove), the store's
profile, and two-factor authentication. Every change of who may do what is audit-logged.

Rules of the team: only owners and admins manage it; only an owner grants, changes or removes
the owner role; the store always keeps at least one active owner.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.errors import (
    AccountError,
    AlreadyMember,
    ContactEmailTaken,
    InvalidCode,
    LastOwner,
    NotAllowed,
)
from accounts.models import Invitation
from accounts.roles import role_label
from accounts.tokens import invitation_path
from compliance.audit.models import AuditAction
from compliance.audit.services import actor_for_user, audit_record
from tenants.models import Tenant
from tenants.services import store_url
from users.models import Role, User
from users.policy import may_manage

BACKUP_CODE_COUNT = 10


def _audit_permission_change(
    *,
    tenant: Tenant | None,
    actor: User | None,
    member: User,
    operation: str,
    changes: dict[str, dict[str, object]],
    request: HttpRequest | None,
) -> None:
    audit_record(
        action=AuditAction.ADMIN_PERMISSION_CHANGE,
        actor=actor_for_user(user=actor, request=request) if actor is not None else None,
        tenant=tenant,
        request=request,
        obj=member,
        details={"user": member.email, "operation": operation, "changes": changes},
    )


def _require_manager(actor: User) -> None:
    if not may_manage(user=actor):
        raise NotAllowed(_("Only the store's owners and admins can manage the team."))


def _require_owner_for(actor: User, *roles: str) -> None:
    if Role.OWNER in roles and actor.role != Role.OWNER:
        raise NotAllowed(_("Only an owner can grant, change or remove the owner role."))


def _keep_an_owner(member: User) -> None:
    """Refuse when ``member`` is the last active owner; locks the owners to decide races."""
    owners = list(
        User.objects.select_for_update()
        .filter(role=Role.OWNER, is_active=True)
        .values_list("pk", flat=True)
    )
    if owners == [member.pk]:
        raise LastOwner(_("The store needs at least one owner: make someone else owner first."))


def _locked(member: User) -> User:
    return User.objects.select_for_update().get(pk=member.pk)


def team_invite(
    *,
    tenant: Tenant,
    actor: User,
    email: str,
    role: str,
    request: HttpRequest | None = None,
) -> Invitation:
    """Invite ``email`` with ``role``: an inactive user and an e-mail with a link to set a
    password. Inviting a pending or removed person again sends a new link (the old one dies)."""
    _require_manager(actor)
    if role not in Role.values:
        raise AccountError(_("Choose a role."), field="role")
    _require_owner_for(actor, role)
    email = User.objects.normalize_email(email.strip()).lower()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email=email).first()
        if user is not None and user.is_active:
            raise AlreadyMember(_("This person is already on the team."))
        old_role = user.role if user is not None else None
        if user is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(email, None, role=role, is_active=False)
            except IntegrityError as exc:
                raise AlreadyMember(_("This person is already on the team.")) from exc
        else:
            user.role = role
            # A new password hash makes every earlier invitation link invalid.
            user.set_unusable_password()
            user.save(update_fields=["role", "password"])
            Invitation.objects.filter(user=user, accepted_at__isnull=True).delete()
        invitation = Invitation.objects.create(user=user, role=role, invited_by_email=actor.email)
        _audit_permission_change(
            tenant=tenant,
            actor=actor,
            member=user,
            operation="invited",
            changes={"role": {"old": old_role, "new": role}},
            request=request,
        )
        link = store_url(tenant.slug, invitation_path(user))
        context = {"store": tenant, "link": link, "inviter": actor, "role": role_label(role)}
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/email/invitation.txt", context)
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
        )
    return invitation


def invitation_accept(
    *, tenant: Tenant, user: User, password: str, request: HttpRequest | None = None
) -> User:
    """The invited person set their password: they are a member from now on."""
    with transaction.atomic():
        user = _locked(user)
        invitation = (
            Invitation.objects.select_for_update()
            .filter(user=user, accepted_at__isnull=True)
            .first()
        )
        if user.is_active or invitation is None:
            raise AccountError(_("This invitation was already used or withdrawn."))
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        _audit_permission_change(
            tenant=tenant,
            actor=user,
            member=user,
            operation="joined",
            changes={"is_active": {"old": False, "new": True}},
            request=request,
        )
    return user


def member_role_set(
    *,
    tenant: Tenant,
    actor: User,
    member: User,
    role: str,
    request: HttpRequest | None = None,
) -> User:
    _require_manager(actor)
    if role not in Role.values:
        raise AccountError(_("Choose a role."), field="role")
    with transaction.atomic():
        member = _locked(member)
        old_role = member.role
        if old_role == role:
            return member
        _require_owner_for(actor, old_role, role)
        if old_role == Role.OWNER:
            _keep_an_owner(member)
        member.role = role
        member.save(update_fields=["role"])
        Invitation.objects.filter(user=member, accepted_at__isnull=True).update(role=role)
        _audit_permission_change(
            tenant=tenant,
            actor=actor,
            member=member,
            operation="role_changed",
            changes={"role": {"old": old_role, "new": role}},
            request=request,
        )
    return member


def member_remove(
    *, tenant: Tenant, actor: User, member: User, request: HttpRequest | None = None
) -> User:
    """Take ``member`` off the team: they can no longer log in and their sessions end.

    The row stays (consent records and the audit log refer to it), inactive and without a
    usable password; a pending invitation is withdrawn.
    """
    _require_manager(actor)
    with transaction.atomic():
        member = _locked(member)
        withdrawn = Invitation.objects.filter(user=member, accepted_at__isnull=True)
        if not member.is_active and not withdrawn.exists():
            raise AccountError(_("This person is not on the team."))
        _require_owner_for(actor, member.role)
        if member.role == Role.OWNER and member.is_active:
            _keep_an_owner(member)
        was_active = member.is_active
        member.is_active = False
        member.set_unusable_password()
        member.save(update_fields=["is_active", "password"])
        withdrawn.delete()
        _audit_permission_change(
            tenant=tenant,
            actor=actor,
            member=member,
            operation="removed" if was_active else "invitation_withdrawn",
            changes={"is_active": {"old": was_active, "new": False}},
            request=request,
        )
    return member


def store_profile_update(*, tenant: Tenant, actor: User, name: str, owner_email: str) -> Tenant:
    """Rename the store or change its contact e-mail (the address/slug never changes)."""
    _require_manager(actor)
    name = name.strip()
    owner_email = owner_email.strip().lower()
    if not name:
        raise AccountError(_("Give your store a name."), field="name")
    if (
        Tenant.objects.exclude(pk=tenant.pk)
        .annotate(email_ci=Lower("owner_email"))
        .filter(email_ci=owner_email)
        .exists()
    ):
        raise ContactEmailTaken(_("Another store already uses this e-mail."))
    try:
        with transaction.atomic():
            Tenant.objects.filter(pk=tenant.pk).update(
                name=name, owner_email=owner_email, updated_at=timezone.now()
            )
    except IntegrityError as exc:
        raise ContactEmailTaken(_("Another store already uses this e-mail.")) from exc
    tenant.refresh_from_db()
    return tenant


# -- two-factor ---------------------------------------------------------------------------------


def totp_device_for_setup(*, user: User, key: str) -> TOTPDevice:
    """An unsaved device for ``key`` (kept in the session while the user scans it)."""
    return TOTPDevice(user=user, key=key, name="Authenticator app", confirmed=False)


def two_factor_enable(
    *, tenant: Tenant | None, user: User, key: str, code: str, request: HttpRequest | None = None
) -> list[str]:
    """Turn two-factor on once ``code`` proves the app holds ``key``; the backup codes.

    ``tenant`` is the user's store, or None for staff (the public schema).

    The codes are returned once and never shown again.
    """
    device = totp_device_for_setup(user=user, key=key)
    with transaction.atomic():
        _locked(user)
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise AccountError(_("Two-factor authentication is already on."))
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        device.save()
        # A wrong code raises, and the rollback takes the unconfirmed device with it.
        if not device.verify_token(_digits(code)):
            raise InvalidCode(_("That code is not right. Enter the current code from the app."))
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
        codes = [StaticToken.random_token() for _i in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=backup, token=c) for c in codes)
        _audit_permission_change(
            tenant=tenant,
            actor=user,
            member=user,
            operation="two_factor_enabled",
            changes={"two_factor": {"old": False, "new": True}},
            request=request,
        )
    if request is not None:
        # This session proved the new device: it stays logged in, verified.
        otp_login(request, device)
    return codes


def two_factor_verify(*, user: User, code: str) -> TOTPDevice | StaticDevice | None:
    """The device ``code`` verifies against: six digits for the app, else a backup code
    (used up). Failures count toward django-otp's backoff of that device."""
    code = code.strip().replace(" ", "").lower()
    with transaction.atomic():
        if code.isdigit():
            totp = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            if totp is not None and totp.verify_token(code):
                return totp
            return None
        static = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if static is not None and code and static.verify_token(code):
            return static
    return None


def two_factor_disable(
    *, tenant: Tenant, user: User, code: str, request: HttpRequest | None = None
) -> None:
    """Turn two-factor off; a current code (or a backup code) proves it is the user."""
    if two_factor_verify(user=user, code=code) is None:
        raise InvalidCode(_("That code is not right."))
    two_factor_remove(tenant=tenant, user=user, actor=user, request=request)


def two_factor_remove(
    *,
    tenant: Tenant | None,
    user: User,
    actor: User | None,
    request: HttpRequest | None = None,
) -> None:
    """Delete ``user``'s app and backup codes, audit-logged; ``actor`` None is the system (a
    command run on a server, the recovery for a lost phone)."""
    with transaction.atomic():
        removed, _count = TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        _audit_permission_change(
            tenant=tenant,
            actor=actor,
            member=user,
            operation="two_factor_disabled",
            changes={"two_factor": {"old": bool(removed), "new": False}},
            request=request,
        )


def _digits(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace())
