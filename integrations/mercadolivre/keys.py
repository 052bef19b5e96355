"""Key rotation for the ML tokens stored in every store's schema."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.db import transaction
from django_tenants.utils import tenant_context

from compliance.audit.models import AuditAction
from compliance.audit.services import Actor, audit_record
from core import crypto
from integrations.mercadolivre.models import MLAccount
from tenants.models import Tenant

logger = logging.getLogger(__name__)


@dataclass
class RotationReport:
    stores: int = 0
    rotated: int = 0
    current: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def ml_tokens_rotate(
    *, actor: Actor, progress: Callable[[str], None] | None = None
) -> RotationReport:
    """Re-encrypt every store's tokens under the newest key; the rotation is audited under
    ``actor`` (the staff member or the named system component that ran it)."""
    report = RotationReport()
    for tenant in Tenant.objects.exclude(schema_name="public").order_by("pk").iterator():
        report.stores += 1
        with tenant_context(tenant), transaction.atomic():
            for account in MLAccount.objects.select_for_update().exclude(
                access_token="", refresh_token=""
            ):
                changed = []
                for field in ("access_token", "refresh_token"):
                    value = getattr(account, field)
                    if not value:
                        continue
                    if crypto.is_current(value):
                        report.current += 1
                        continue
                    try:
                        setattr(account, field, crypto.rotate(value))
                    except crypto.DecryptionFailed:
                        report.failed += 1
                        logger.error("ML %s of %s: no key decrypts it", field, account.ml_user_id)
                        continue
                    changed.append(field)
                    report.rotated += 1
                if changed:
                    account.save(update_fields=[*changed, "updated_at"])
        if progress is not None:
            progress(f"{tenant.schema_name}: done ({report.rotated} re-encrypted so far)")
    audit_record(
        action=AuditAction.KEY_ROTATION,
        actor=actor,
        details={"keys": "FIELD_ENCRYPTION_KEYS", **report.as_dict()},
    )
    return report
