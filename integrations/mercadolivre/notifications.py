"""Telling people about their Mercado Livre connection: the reconnect-needed e-mail."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from core.tasks import enqueue_on_commit, task
from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from integrations.models import MLConnection, MLConnectionStatus
from tenants.context import current_schema
from tenants.services import store_url
from users.models import Role, User


def reconnect_required_mark(
    *, account: MLAccount, reason: str, now: datetime | None = None, chain: str | None = None
) -> bool:
    """Mark ``account`` as needing reconnection with ``reason``, mirror it in the public index
    and e-mail its owners and admins (after commit), in one transaction: all or nothing.

    False when the account was no longer active (or, with ``chain``, no longer holds that
    refresh token: connected again meanwhile), so each lapse is marked and mailed once.
    """
    now = now or timezone.now()
    rows = MLAccount.objects.filter(pk=account.pk, status=MLAccountStatus.ACTIVE)
    if chain is not None:
        rows = rows.filter(refresh_token=chain)
    with transaction.atomic():
        marked = rows.update(
            status=MLAccountStatus.NEEDS_RECONNECTION,
            needs_reconnection_since=now,
            last_error=reason[:300],
            refresh_started_at=None,
            updated_at=now,
        )
        if not marked:
            return False
        account.refresh_from_db()
        reconnect_needed_notify(account=account)
    return True


def reconnect_needed_notify(*, account: MLAccount) -> None:
    """Mark the public index and e-mail the store's owners and admins (after commit)."""
    MLConnection.objects.filter(ml_user_id=account.ml_user_id).update(
        status=MLConnectionStatus.NEEDS_RECONNECTION
    )
    enqueue_on_commit(ml_reconnect_email, args=[account.pk])


@task(
    name="integrations.ml_reconnect_email", queue="default", tenant_scoped=True, soft_time_limit=60
)
def ml_reconnect_email(account_id: int) -> int:
    """E-mail the store's owners and admins that the ML account needs reconnecting."""
    account = MLAccount.objects.filter(
        pk=account_id, status=MLAccountStatus.NEEDS_RECONNECTION
    ).first()
    if account is None:  # reconnected meanwhile: nothing to say
        return 0
    recipients = list(
        User.objects.filter(is_active=True, role__in=[Role.OWNER, Role.ADMIN]).values_list(
            "email", flat=True
        )
    )
    if not recipients:
        return 0
    send_mail(
        subject=(
            f"Reconecte sua conta {account.label} do Mercado Livre / "
            f"Reconnect your Mercado Livre account {account.label}"
        ),
        message=(
            f"Mercado Livre stopped accepting Peepers' access to the account {account.label} "
            f"(user {account.ml_user_id}), so its products, orders and questions are no longer "
            "syncing. The store's other Mercado Livre accounts, if any, keep syncing.\n\n"
            f"Connect it again at {store_url(current_schema(), '/settings/mercado-livre/')}\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )
    return len(recipients)
