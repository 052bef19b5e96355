"""Writing the audit log: ``audit_record`` is the one way in, called in the caller's transaction.

An audit row commits or rolls back with the action it records: no ``on_commit`` here, so a
committed action always has its trail and a rolled-back one leaves none. Where the request is
known, the actor, the client's address (behind ``ML_WEBHOOK_TRUSTED_PROXIES`` proxies), the user
agent and the host are taken from it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from compliance.audit.errors import AuditRetentionTooShort
from compliance.audit.models import ActorKind, AuditAction, AuditEvent
from compliance.audit.network import request_host, user_agent
from core.network import client_ip
from tenants.context import current_schema
from tenants.models import Tenant

# Access logs are kept at least 6 months (Marco Civil da Internet, Lei 12.965/2014, Art. 15).
AUDIT_MIN_RETENTION_DAYS = 183
# Keys whose values never reach the log, at any depth of ``details``.
SECRET_KEY_PARTS = ("password", "secret", "token", "api_key", "apikey", "authorization")
REDACTED = "[redacted]"

# The request being served, for receivers of signals that carry none (m2m_changed, post_save).
_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


@dataclass(frozen=True)
class Actor:
    """Who acted: a store user, a staff member, the system (a command, a task) or nobody known."""

    kind: ActorKind
    id: str = ""
    email: str = ""

    @classmethod
    def system(cls, name: str = "") -> Actor:
        """The system, naming the component if given (``rotate_ml_keys``, a task name)."""
        return cls(kind=ActorKind.SYSTEM, id=name[:64])

    @classmethod
    def staff(cls, *, email: str, id: str = "") -> Actor:
        return cls(kind=ActorKind.STAFF, id=id[:64], email=email[:254])


@dataclass(frozen=True)
class ObjectRef:
    """What an event is about when it is not a model instance (a Stripe id, a file)."""

    type: str
    id: str


def store_of_request(request: HttpRequest | None) -> Tenant | None:
    """The store ``request`` was served for; None on the public host or outside routing."""
    tenant = getattr(request, "tenant", None) if request is not None else None
    if isinstance(tenant, Tenant) and not tenant.is_public:
        return tenant
    return None


def _schema_tenant(request: HttpRequest | None) -> Tenant | None:
    """The store whose schema is current, for actions outside a routed request (tasks)."""
    if request is not None and hasattr(request, "tenant"):
        return None
    tenant = getattr(connection, "tenant", None)  # set by django-tenants' tenant_context
    if isinstance(tenant, Tenant) and not tenant.is_public:
        return tenant
    return None


def is_store_side(request: HttpRequest | None) -> bool:
    """Whether an action happens on a store's side (its host, or its schema outside routing)."""
    if store_of_request(request) is not None:
        return True
    # Unrouted (a task, a command, the test client's login()): the current schema says where.
    routed = request is not None and hasattr(request, "tenant")
    return not routed and current_schema() != get_public_schema_name()


def actor_for_user(*, user: Any, request: HttpRequest | None = None) -> Actor:
    """The actor for ``user``: staff on the public host (and outside requests), a store user
    on a store's host."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return Actor(kind=ActorKind.ANONYMOUS)
    kind = ActorKind.USER if is_store_side(request) else ActorKind.STAFF
    return Actor(kind=kind, id=str(user.pk), email=str(getattr(user, "email", ""))[:254])


def actor_from_request(request: HttpRequest) -> Actor:
    """Who is acting in ``request``: its logged-in user, or anonymous."""
    return actor_for_user(user=getattr(request, "user", None), request=request)


def _scrubbed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED
            if any(part in str(key).lower() for part in SECRET_KEY_PARTS)
            else _scrubbed(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrubbed(item) for item in value]
    return value


def audit_record(
    *,
    action: AuditAction,
    actor: Actor | None = None,
    tenant: Tenant | None = None,
    request: HttpRequest | None = None,
    obj: models.Model | ObjectRef | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event, in the caller's transaction (see the module docstring).

    ``actor`` defaults to the request's user (or the system, without a request); ``tenant`` to
    the store the request was served for or, outside requests, the store whose schema is
    current (``tenant_context``). Secrets in ``details`` are replaced by a marker.
    """
    request = request if request is not None else _current_request.get()
    if actor is None:
        actor = actor_from_request(request) if request is not None else Actor.system()
    if tenant is None:
        tenant = store_of_request(request) or _schema_tenant(request)
    elif tenant.is_public:
        tenant = None
    if isinstance(obj, models.Model):
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    elif isinstance(obj, ObjectRef):
        object_type, object_id = obj.type, obj.id
    else:
        object_type = object_id = ""
    return AuditEvent.objects.create(
        action=action,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_email=actor.email,
        tenant=tenant,
        tenant_public_id=tenant.public_id if tenant is not None else None,
        tenant_schema=tenant.schema_name if tenant is not None else "",
        object_type=object_type[:100],
        object_id=object_id[:64],
        ip_address=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
        host=request_host(request) if request is not None else "",
        details=_scrubbed(dict(details or {})),
    )


@contextlib.contextmanager
def audit_request_bound(request: HttpRequest) -> Iterator[None]:
    """Make ``request`` the one ``audit_record`` falls back to while it is served."""
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def current_request() -> HttpRequest | None:
    return _current_request.get()


def audit_subject_redact(*, email: str, actor: Actor, reason: str) -> int:
    """Blank one person's e-mail, user agent and details in past events (data-subject erasure).

    The only change the database trigger allows besides a deleted store's ``tenant`` going
    NULL, and only inside this function's transaction. What happened, when, to which store and
    from which address stays (security logs a controller must keep); the redaction itself is
    recorded. Returns how many events were redacted.
    """
    email = email.strip().lower()
    if not email:
        return 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('peepers.audit_redact', 'on', true)")
        redacted = {"redacted": reason[:200]}
        # QuerySet.update bypasses AuditEvent.save(), which refuses every change.
        count = AuditEvent.objects.filter(actor_email__iexact=email).update(
            actor_email="", user_agent="", details=redacted
        )
        count += AuditEvent.objects.filter(details__icontains=email).update(details=redacted)
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('peepers.audit_redact', 'off', true)")
        audit_record(
            action=AuditAction.AUDIT_REDACTION,
            actor=actor,
            details={"events": count, "reason": reason},
        )
    return count


def audit_events_purge(*, before: datetime, actor: Actor) -> int:
    """Delete events older than ``before`` (the retention policy's job); how many went.

    The only DELETE the trigger allows, and only inside this function's transaction; refused
    for anything younger than ``AUDIT_MIN_RETENTION_DAYS``. The purge itself is recorded.
    """
    floor = timezone.now() - timedelta(days=AUDIT_MIN_RETENTION_DAYS)
    if before > floor:
        raise AuditRetentionTooShort(
            f"audit events are kept at least {AUDIT_MIN_RETENTION_DAYS} days; "
            f"purge only before {floor:%Y-%m-%d}"
        )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('peepers.audit_purge_before', %s, true)", [before.isoformat()]
            )
        # QuerySet.delete would call no AuditEvent.delete(); the trigger checks each row.
        count, _ = AuditEvent.objects.filter(occurred_at__lt=before).delete()
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('peepers.audit_purge_before', '', true)")
        audit_record(
            action=AuditAction.AUDIT_PURGE,
            actor=actor,
            details={"before": before.isoformat(), "events": count},
        )
    return count
