"""The suppression list: erased subjects stay erased when their data arrives again.

An erasure puts its subject on the store's list (``ErasedSubject``) in the same transaction
as its first step; every writer of Mercado Livre data asks ``erased_buyers`` which of a
batch's buyers are on it, in one query, before writing. The two meet under one advisory lock
per store: a writer holds it shared from its check to its commit, an erasure exclusively while
it lists the subject (its first step), so an order fetched before the erasure is written before
the erasure anonymizes it, and one fetched after is checked against the list.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from compliance.models import DataSubjectRequest, ErasedSubject, RequestScope

_LOCK_PREFIX = "compliance.erased:"


def _lock(schema_name: str, *, exclusive: bool) -> None:
    kind = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {kind}(hashtextextended(%s, 0))",
            [_LOCK_PREFIX + schema_name],
        )


def subject_suppress(*, request: DataSubjectRequest) -> ErasedSubject:
    """Put the request's subject on its store's list (once; a later request joins the entry).

    Call inside the transaction that erases: the entry commits with the erasure or not at all.
    """
    assert transaction.get_connection().in_atomic_block, "list the subject with its erasure"
    found = _entry(request)
    if found is not None:
        # Listed by an earlier step: no lock, so a step that then waits on a row a writer holds
        # (an answer being sent) never also blocks that writer's check.
        return found
    _lock(request.tenant.schema_name, exclusive=True)
    found = _entry(request)  # listed meanwhile by a concurrent run of the same erasure
    if found is not None:
        return found
    buyer = request.subject_ml_user_id if request.scope == RequestScope.BUYER else None
    return ErasedSubject.objects.create(
        tenant_id=request.tenant_id, request=request, ml_user_id=buyer, erased_at=timezone.now()
    )


def _entry(request: DataSubjectRequest) -> ErasedSubject | None:
    listed = ErasedSubject.objects.filter(tenant_id=request.tenant_id)
    if request.scope == RequestScope.BUYER and request.subject_ml_user_id is not None:
        return listed.filter(ml_user_id=request.subject_ml_user_id).first()
    return listed.filter(request=request).first()


def erased_buyers(*, schema_name: str, ml_user_ids: Iterable[int | None]) -> frozenset[int]:
    """Which of ``ml_user_ids`` are erased buyers of the store ``schema_name``: one query.

    Call inside the transaction that then writes: the shared lock taken here is held until it
    commits, so an erasure cannot slip between this check and the write.
    """
    wanted = {ml_user_id for ml_user_id in ml_user_ids if ml_user_id is not None}
    if not wanted:
        return frozenset()
    assert transaction.get_connection().in_atomic_block, "check in the writing transaction"
    _lock(schema_name, exclusive=False)
    listed = ErasedSubject.objects.filter(tenant__schema_name=schema_name, ml_user_id__in=wanted)
    return frozenset(
        ml_user_id for ml_user_id in listed.values_list("ml_user_id", flat=True) if ml_user_id
    )


def erased_requests() -> list[DataSubjectRequest]:
    """The requests behind every entry of every store's list, oldest first."""
    return list(
        DataSubjectRequest.objects.filter(erased_subjects__isnull=False)
        .select_related("tenant")
        .order_by("pk")
        .distinct()
    )
