"""Items: the whole catalogue by scan + multiget, and the changed ones since a watermark.

A scan page holds ids only (``ITEMS_SCAN_PAGE`` of them); the items themselves come from
``/items?ids=`` in batches of ``MULTIGET_BATCH_SIZE``, never one GET per item. The scroll is
server-side state that expires, so the cursor keeps the page being fetched until it is stored,
and a scroll that died restarts the scan, skipping what this run already stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from core.db.locks import transaction_lock
from integrations.mercadolivre.errors import MLBadRequest, MLError, MLMalformedResponse
from integrations.mercadolivre.models import MLItem
from integrations.mercadolivre.sync.runs import WATERMARK_OVERLAP, ActiveRun
from integrations.mercadolivre.upserts import items_upsert, moment
from tenants.context import current_schema

logger = logging.getLogger(__name__)

ITEMS_SCAN_PAGE = 100  # ML's maximum for a scan page
MULTIGET_BATCH_SIZE = 20  # ML's maximum ids per /items?ids=
ITEMS_SEARCH_PAGE = 50
OFFSET_CEILING = 1000  # ML refuses offset + limit beyond this on searches
MAX_SCAN_RESTARTS = 5


class SyncStalled(MLError):
    """The item scan kept losing its scroll; the run stops instead of looping."""


def chunks(values: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def _search_path(active: ActiveRun) -> str:
    return f"/users/{active.seller_id}/items/search"


def _ids(data: Any) -> tuple[list[str], int]:
    """The ids of a search page and the reported total.

    A scan read to its end answers ``results: null`` ("cuando llegues al final recibirás
    null", items-y-busquedas): the end, not a malformed page.
    """
    if not isinstance(data, dict) or "results" not in data:
        raise MLMalformedResponse("the items search answered without a results list")
    results = data["results"]
    if results is None:
        results = []
    if not isinstance(results, list):
        raise MLMalformedResponse("the items search answered results that are not a list")
    paging = data.get("paging") or {}
    return [str(item_id) for item_id in results], int(paging.get("total") or 0)


def items_multiget(
    active: ActiveRun, ids: Sequence[str], *, attributes: str | None = None
) -> list[dict[str, Any]]:
    """The bodies ML returns for ``ids`` (entries that are not 200 are skipped and logged)."""
    bodies: list[dict[str, Any]] = []
    for batch in chunks(ids, MULTIGET_BATCH_SIZE):
        params = {"ids": ",".join(batch)}
        if attributes:
            params["attributes"] = attributes
        data = active.get("/items", params).data
        if not isinstance(data, list):
            raise MLMalformedResponse("the items multiget answered without a list")
        for entry in data:
            ok = isinstance(entry, dict) and entry.get("code") == 200
            body = entry.get("body") if ok else None
            if isinstance(body, dict) and body.get("id"):
                bodies.append(body)
            else:
                logger.info("item multiget entry skipped: %s", str(entry)[:200])
    return bodies


def _within_plan(active: ActiveRun, ids: list[str]) -> list[str]:
    """``ids`` the plan lets the store keep: every item already stored, new ones while room."""
    if active.item_limit is None or not ids:
        return ids
    known = set(MLItem.objects.filter(pk__in=ids).values_list("pk", flat=True))
    room = max(0, active.item_limit - MLItem.objects.count())
    kept: list[str] = []
    for item_id in ids:
        if item_id in known:
            kept.append(item_id)
        elif room > 0:
            kept.append(item_id)
            room -= 1
    if len(kept) < len(ids):
        # Totals keep counting every item at ML, so totals minus counts is what was left out.
        active.run.cursor["plan_limit"] = (
            f"Your plan stores up to {active.item_limit} items; the rest are not synced. "
            "Upgrade your plan at /billing/ to sync them."
        )
    return kept


def _store(active: ActiveRun, ids: Sequence[str]) -> None:
    """Fetch and store the page's items (those this run has not stored already)."""
    stored = set(
        MLItem.objects.filter(pk__in=ids, synced_at__gte=active.run.started_at).values_list(
            "pk", flat=True
        )
    )
    wanted = _within_plan(active, [item_id for item_id in ids if item_id not in stored])
    bodies = items_multiget(active, wanted)
    state = active.section("items")
    with transaction.atomic():
        if active.item_limit is not None:
            # The room again, now that no other account's sync of this store can fill it
            # between the count and the insert (the check above spares fetching past it).
            transaction_lock(f"{current_schema()}:ml:items-room")
            kept = set(_within_plan(active, [str(body.get("id")) for body in bodies]))
            bodies = [body for body in bodies if str(body.get("id")) in kept]
        active.add("items", items_upsert(bodies, account=active.account))
        state["pending"] = []
        active.checkpoint()
    active.progressed()


def items_scan(active: ActiveRun) -> bool:
    """Read every item of the seller into the store; False when the time budget ran out."""
    state = active.section("items")
    state.setdefault("scroll_id", None)
    state.setdefault("seen", 0)
    state.setdefault("pending", [])
    state.setdefault("restarts", 0)
    if state["pending"]:
        _store(active, state["pending"])
    while True:
        total = state.get("total")
        # Stop at the reported total: asking for the empty page past the end costs a call.
        if total is not None and state["seen"] >= total:
            if _rescan_for_gaps(active, state):
                continue
            return True
        params: dict[str, Any] = {"search_type": "scan", "limit": ITEMS_SCAN_PAGE}
        if state["scroll_id"]:
            params["scroll_id"] = state["scroll_id"]
        try:
            data = active.get(_search_path(active), params).data
        except MLBadRequest as exc:
            if not state["scroll_id"]:
                raise
            _scan_restart(active, state, reason=exc.message)
            continue
        ids, reported = _ids(data)
        with transaction.atomic():
            # The scroll has moved on at ML: the page is kept until its items are stored.
            state["scroll_id"] = data.get("scroll_id") if ids else None
            state["total"] = reported
            state["seen"] += len(ids)
            state["pending"] = ids
            active.total("items", reported)
            active.checkpoint()
        if not ids:
            # The scroll ended short of the total: items closed meanwhile, or a page lost when
            # a process died between reading it and saving the cursor; looked at once.
            if _rescan_for_gaps(active, state):
                continue
            return True
        _store(active, ids)
        if active.out_of_time():
            return False


def _scan_restart(active: ActiveRun, state: dict[str, Any], *, reason: str) -> None:
    """The scroll expired or was refused: scan again from the start (re-reads are skipped)."""
    state["restarts"] += 1
    if state["restarts"] > MAX_SCAN_RESTARTS:
        raise SyncStalled(f"the item scan lost its scroll {state['restarts']} times: {reason}")
    logger.info("item scan restarts (%s)", reason)
    with transaction.atomic():
        state.update(scroll_id=None, seen=0, total=None, pending=[])
        active.checkpoint()


def _rescan_for_gaps(active: ActiveRun, state: dict[str, Any]) -> bool:
    """Whether to scan once more because fewer items were stored than ML reported."""
    stored = MLItem.objects.filter(
        account=active.account, synced_at__gte=active.run.started_at
    ).count()
    if state.get("rescanned") or stored >= int(state.get("total") or 0):
        return False
    logger.info("item scan stored %d of %s items; scanning once more", stored, state["total"])
    with transaction.atomic():
        state.update(scroll_id=None, seen=0, total=None, pending=[], rescanned=True)
        active.checkpoint()
    return True


def items_changed(active: ActiveRun) -> bool:
    """Store the items ML changed since the run's watermark; False when out of time.

    The search sorted by ``last_updated_desc`` gives ids newest first; a multiget of just
    ``id,last_updated`` tells which differ from the stored copy, and only those are fetched
    whole. Past ML's offset ceiling (more than 1000 changed) the whole catalogue is scanned.
    """
    state = active.section("items_changed")
    state.setdefault("offset", 0)
    if state.get("scan"):
        return items_scan(active)
    cutoff = active.since("items") - WATERMARK_OVERLAP
    while True:
        if state["offset"] + ITEMS_SEARCH_PAGE > OFFSET_CEILING:
            with transaction.atomic():
                state["scan"] = True
                active.checkpoint()
            return items_scan(active)
        params = {
            "orders": "last_updated_desc",
            "limit": ITEMS_SEARCH_PAGE,
            "offset": state["offset"],
        }
        ids, total = _ids(active.get(_search_path(active), params).data)
        reached, bodies = _changed_bodies(active, ids, cutoff)
        with transaction.atomic():
            active.add("items", items_upsert(bodies, account=active.account))
            state["offset"] += len(ids)
            active.checkpoint()
        active.progressed()
        if reached or not ids or state["offset"] >= total:
            return True
        if active.out_of_time():
            return False


def _changed_bodies(
    active: ActiveRun, ids: list[str], cutoff: datetime
) -> tuple[bool, list[dict[str, Any]]]:
    """Full bodies of the ``ids`` that changed, and whether ids older than ``cutoff`` came."""
    bodies: list[dict[str, Any]] = []
    for batch in chunks(ids, MULTIGET_BATCH_SIZE):
        versions = {
            str(body["id"]): moment(body.get("last_updated"))
            for body in items_multiget(active, batch, attributes="id,last_updated")
        }
        stored = dict(MLItem.objects.filter(pk__in=batch).values_list("pk", "last_updated"))
        changed = [
            item_id
            for item_id, updated in versions.items()
            if item_id not in stored or (updated is not None and updated > stored[item_id])
        ]
        if changed:
            bodies += items_multiget(active, changed)
        if any(updated is not None and updated < cutoff for updated in versions.values()):
            return True, bodies
    return False, bodies
