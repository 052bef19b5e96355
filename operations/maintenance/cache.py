"""``cleanup_cache``: keys in the cache Redis that should expire but never will, and keys of
stores that no longer exist.

Redis expires our keys itself (each is written with a TTL), so the runbook's "delete expired
keys" is what Redis already does; what can go wrong is a key written without its TTL (a crash
between SET and EXPIRE, an old code path) that then lives forever, and per-store keys of a
deleted store. Each family of keys we write is listed here with whether it must carry a TTL
and how a key without one is fixed; keys of unknown families are counted, never touched.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from django.conf import settings
from django_tenants.utils import get_public_schema_name

from core.metrics import RETENTION_SECONDS, TOTALS_PREFIX
from core.redis import redis_client, redis_key
from tenants.models import Tenant

SCAN_BATCH_SIZE = 500
Fix = Literal["expire", "delete", "keep"]


@dataclass(frozen=True)
class KeyFamily:
    name: str
    pattern: re.Pattern[str]
    needs_ttl: bool
    fix: Fix  # what to do with a key of this family that has no TTL
    ttl_seconds: int = 0  # for fix == "expire"


def _families() -> list[KeyFamily]:
    prefix = re.escape(redis_key())
    return [
        KeyFamily(
            "metrics minute",
            re.compile(r"^metrics:[^:]+:\d{12}$"),
            True,
            "expire",
            RETENTION_SECONDS,
        ),
        KeyFamily(
            "metrics streak", re.compile(r"^metrics-streak:"), True, "expire", RETENTION_SECONDS
        ),
        KeyFamily("metrics gauge", re.compile(r"^metrics-gauge:"), False, "keep"),
        KeyFamily("metrics totals", re.compile(f"^{re.escape(TOTALS_PREFIX)}"), False, "keep"),
        KeyFamily("ML rate limit", re.compile(r"^ml:rl:"), True, "delete"),
        KeyFamily("ML breaker probe", re.compile(r"^ml:cb:.+:probe$"), True, "delete"),
        KeyFamily(
            "ML breaker state", re.compile(r"^ml:cb:.+:(failures|opened_at)$"), False, "keep"
        ),
        KeyFamily("staff access dedup", re.compile(r"^audit:staff-access:"), True, "delete"),
        KeyFamily(
            "data-subject request alert",
            re.compile(f"^{prefix}:dsr-alert:"),
            True,
            "expire",
            60 * 86400,
        ),
        KeyFamily("per-store cache", re.compile(f"^{prefix}:tenant:"), True, "delete"),
    ]


@dataclass
class CacheCleanup:
    scanned: int = 0
    by_family: dict[str, int] = field(default_factory=dict)
    without_ttl: dict[str, int] = field(default_factory=dict)
    ttl_set: int = 0
    deleted_without_ttl: int = 0
    dead_store_keys: int = 0
    unknown: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned,
            "by_family": dict(sorted(self.by_family.items())),
            "without_ttl": dict(sorted(self.without_ttl.items())),
            "ttl_set": self.ttl_set,
            "deleted_without_ttl": self.deleted_without_ttl,
            "dead_store_keys": self.dead_store_keys,
            "unknown": self.unknown,
            "dry_run": self.dry_run,
        }


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _dead_store(key: str, *, prefix: str, schemas: set[str], ids: set[str]) -> bool:
    """A Django cache key of a schema that is gone, or one of our per-store keys of a store
    id that is gone (``<prefix>:tenant:<id>:…``)."""
    parts = key.split(":", 3)
    if len(parts) == 4 and parts[1] == prefix and parts[0] != prefix:
        return parts[0] not in schemas  # django_tenants.cache.make_key: schema:prefix:v:key
    if len(parts) >= 3 and parts[0] == prefix and parts[1] == "tenant":
        return parts[2] not in ids
    return False


def _metric_minute_age(key: str) -> float:
    stamp = key.rsplit(":", 1)[1]
    minute = datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=UTC)
    return time.time() - minute.timestamp()


def cache_cleanup(*, dry_run: bool = False) -> CacheCleanup:
    """Scan the cache database once: fix keys missing their TTL, drop dead stores' keys.

    Safe to run any time and twice: it only sets TTLs that were meant to be there and
    deletes keys nothing can read any more (their store is gone) or that are re-created on
    demand (rate-limit and cache entries).
    """
    client = redis_client()
    prefix = str(settings.CACHES["default"].get("KEY_PREFIX", "peepers"))
    tenants = list(Tenant.objects.values_list("pk", "schema_name"))
    schemas = {schema for _pk, schema in tenants} | {get_public_schema_name()}
    ids = {str(pk) for pk, _schema in tenants}
    families = _families()
    result = CacheCleanup(dry_run=dry_run)
    for batch in _batches(client.scan_iter(count=SCAN_BATCH_SIZE), SCAN_BATCH_SIZE):
        pipe = client.pipeline(transaction=False)
        for raw in batch:
            pipe.ttl(raw)
        ttls = pipe.execute()
        changes = client.pipeline(transaction=False)
        for raw, ttl in zip(batch, ttls, strict=True):
            if ttl == -2:  # expired between SCAN and TTL
                continue
            key = _text(raw)
            result.scanned += 1
            if _dead_store(key, prefix=prefix, schemas=schemas, ids=ids):
                result.dead_store_keys += 1
                changes.delete(raw)
                continue
            family = next((f for f in families if f.pattern.match(key)), None)
            if family is None:
                if key.split(":", 3)[1:2] != [prefix]:  # Django cache keys are not unknown
                    result.unknown += 1
                continue
            result.by_family[family.name] = result.by_family.get(family.name, 0) + 1
            if ttl != -1 or not family.needs_ttl:
                continue
            result.without_ttl[family.name] = result.without_ttl.get(family.name, 0) + 1
            if family.fix == "expire":
                remaining = family.ttl_seconds
                if family.name == "metrics minute":
                    remaining = int(family.ttl_seconds - _metric_minute_age(key))
                if remaining <= 0:
                    result.deleted_without_ttl += 1
                    changes.delete(raw)
                else:
                    result.ttl_set += 1
                    changes.expire(raw, remaining)
            elif family.fix == "delete":
                result.deleted_without_ttl += 1
                changes.delete(raw)
        if not dry_run:
            changes.execute()
    return result
