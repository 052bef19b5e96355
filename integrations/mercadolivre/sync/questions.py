"""Questions: the seller's unanswered ones, and what became of those we still hold as open.

``/questions/search`` (``api_version=4``) answers ``{"total", "questions": [...]}`` without a
``paging`` object; it is paged by offset, oldest first so that questions arriving meanwhile
land at the end. A question stored as unanswered that ML no longer lists was answered,
closed or deleted elsewhere: it is read again one by one (there is no question multiget).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.mercadolivre.errors import MLForbidden, MLMalformedResponse, MLNotFound
from integrations.mercadolivre.models import MLQuestion
from integrations.mercadolivre.sync.runs import ActiveRun
from integrations.mercadolivre.upserts import questions_upsert

logger = logging.getLogger(__name__)

QUESTIONS_PAGE = 50
OFFSET_CEILING = 1000
UNANSWERED = "UNANSWERED"
# Stale open questions re-read per run; the rest wait for the next run.
STALE_QUESTIONS_BATCH_SIZE = 50


def _page(data: Any) -> tuple[list[dict[str, Any]], int]:
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise MLMalformedResponse("the questions search answered without a questions list")
    found = [q for q in data["questions"] if isinstance(q, dict) and q.get("id")]
    return found, int(data.get("total") or 0)


def questions_unanswered(active: ActiveRun) -> bool:
    """Store the seller's unanswered questions, then refresh stale open ones; False if paused."""
    state = active.section("questions")
    state.setdefault("offset", 0)
    state.setdefault("listed", [])
    while not state.get("listed_all"):
        params = {
            "seller_id": active.seller_id,
            "api_version": 4,
            "status": UNANSWERED,
            "sort_fields": "date_created",
            "sort_types": "ASC",
            "limit": QUESTIONS_PAGE,
            "offset": state["offset"],
        }
        found, total = _page(active.get("/questions/search", params).data)
        with transaction.atomic():
            active.total("questions", total)
            active.add("questions", questions_upsert(found, account=active.account))
            state["offset"] += len(found)
            state["listed"] += [int(q["id"]) for q in found]
            if not found or state["offset"] >= min(total, OFFSET_CEILING):
                state["listed_all"] = True
            active.checkpoint()
        active.progressed()
        if active.out_of_time():
            return False
    _stale_refreshed(active, listed=set(state["listed"]))
    return True


def _stale_refreshed(active: ActiveRun, *, listed: set[int]) -> None:
    stale = list(
        MLQuestion.objects.filter(account=active.account, status=UNANSWERED)
        .exclude(pk__in=listed)
        .order_by("date_created")
        .values_list("pk", flat=True)[:STALE_QUESTIONS_BATCH_SIZE]
    )
    for question_id in stale:
        try:
            body = active.get(f"/questions/{question_id}", {"api_version": 4}).data
        except MLNotFound:
            # Deleted at ML (unanswered questions go after 7 months).
            MLQuestion.objects.filter(pk=question_id).update(
                status="DELETED", synced_at=timezone.now()
            )
            continue
        except MLForbidden as exc:
            if type(exc) is not MLForbidden:
                raise  # the token, the seller or our application: every next call fails alike
            # ML will not show this one now; what is stored stays, read again next run.
            logger.warning("question %s refused (%s); kept as stored", question_id, exc.message)
            continue
        if isinstance(body, dict) and body.get("id"):
            with transaction.atomic():
                active.add("questions", questions_upsert([body], account=active.account))
                active.checkpoint()
