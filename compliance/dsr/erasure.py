"""Erasure: anonymize in place what must stay, delete the rest; resumable and replayable.

Each model is one step in its own transaction, recorded in ``ErasureStep`` in the same
transaction: a run that dies halfway leaves whole models done or untouched, never a record half
anonymized, and running it again does only what is left. ``erasure_replay`` runs every step
again (after a backup restore brought the data back); each step only finds rows that still
carry the subject's data, so it is safe to repeat.
"""

from __future__ import annotations

import logging

from django.db import transaction

from compliance.audit.models import AuditAction
from compliance.audit.services import audit_record
from compliance.dsr.exports import _context
from compliance.dsr.owners import owner_erasure_check
from compliance.dsr.requests import subject_of
from compliance.dsr.suppression import subject_suppress
from compliance.models import DataSubjectRequest, ErasureStep
from compliance.registry import Erasure, PersonalData, declarations

logger = logging.getLogger(__name__)


def _ordered(found: list[PersonalData]) -> list[PersonalData]:
    # The store row last: other declarations recognise the owner by the store's e-mail.
    return sorted(found, key=lambda d: d.label == "tenants.Tenant")


def _step(request: DataSubjectRequest, declared: PersonalData, *, record: bool) -> int:
    tenant = request.tenant
    subject = subject_of(request)
    with _context(declared, tenant), transaction.atomic():
        subject_suppress(request=request)  # listed with the erasure: nothing brings them back
        rows = declared.locate(tenant, subject)
        if declared.erasure == Erasure.KEEP:
            count = rows.count()  # recorded as kept, with the law that requires it
        elif declared.erasure == Erasure.DELETE:
            count = rows.count()
            rows.delete()
        else:
            count = 0
            for row in rows.select_for_update().iterator(chunk_size=500):
                values = declared.erased_values(row, subject)
                type(row)._default_manager.filter(pk=row.pk).update(**values)
                count += 1
        if record:
            ErasureStep.objects.create(
                request=request, model_label=declared.label, action=declared.erasure, rows=count
            )
    return count


def subject_erase(*, request: DataSubjectRequest) -> dict[str, int]:
    """Erase the subject's data in the request's store; rows changed per model this run.

    Refused (``ErasureRefused``) for the only owner of a store that is still open.
    """
    owner_erasure_check(request=request)
    subject = subject_of(request)
    done = set(ErasureStep.objects.filter(request=request).values_list("model_label", flat=True))
    changed: dict[str, int] = {}
    for declared in _ordered([d for d in declarations() if subject.kind in d.subjects]):
        if declared.label in done:
            continue
        changed[declared.label] = _step(request, declared, record=True)
    logger.info("erasure for request %s: %s", request.pk, changed)
    audit_record(
        action=AuditAction.DATA_ERASURE,
        tenant=request.tenant,
        obj=request,
        details={"rows": changed, "scope": request.scope},
    )
    return changed


def erasure_replay(*, request: DataSubjectRequest) -> dict[str, int]:
    """Apply a recorded erasure again (after a restore); rows changed per model, audited."""
    recorded = set(
        ErasureStep.objects.filter(request=request).values_list("model_label", flat=True)
    )
    changed = {
        declared.label: _step(request, declared, record=False)
        for declared in _ordered([d for d in declarations() if d.label in recorded])
    }
    audit_record(
        action=AuditAction.DATA_ERASURE,
        tenant=request.tenant,
        obj=request,
        details={"rows": changed, "scope": request.scope, "replay": True},
    )
    return changed
