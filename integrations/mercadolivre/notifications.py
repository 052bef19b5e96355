"""Telling people about their Mercado Livre connection: the reconnect-needed e-mail."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from core.tasks import enqueue_on_commit, task
from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from integrations.models import MLConnection, MLConnectionStatus
from tenants.context import current_schema
from tenants.services import store_url
from users.models import Role, User


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
        subject="Reconecte sua conta do Mercado Livre / Reconnect your Mercado Livre account",
        message=(
            f"Mercado Livre stopped accepting Peepers' access to the account "
            f"{account.nickname or account.ml_user_id}, so your store is no longer syncing.\n\n"
            f"Connect it again at {store_url(current_schema(), '/settings/mercado-livre/')}\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )
    return len(recipients)
