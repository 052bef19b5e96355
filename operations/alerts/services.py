"""Evaluating the alert rules: readings in, incidents opened and resolved.

Each rule, in each scope, moves between ok, pending (breached, not for long enough yet),
firing and unknown (not enough samples). Firing opens or updates the incident keyed
``alert:<rule>[:<scope>]`` (one open incident per key, so a rule that keeps firing is one
incident that counts sightings, not a page every 30 seconds); a firing rule resolves only after
its condition has stayed clear for ``resolve_after``, and a rule that flaps (many transitions in
an hour) must stay clear for half an hour. An unknown reading never resolves anything.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.metrics import metric_streak, metrics_flush
from core.redis import redis_client, redis_key
from operations.alerts.models import AlertState, AlertStatus, RuleFile
from operations.alerts.outage import database_down_page
from operations.alerts.probes import health_probe, queue_depth_record
from operations.alerts.rules import Rule, RuleFileError, RuleSet, rules_load, rules_parse
from operations.alerts.sources import GLOBAL, SOURCES, Reading, window_fields
from operations.incidents.models import Incident
from operations.incidents.services import incident_fire, incident_resolve_by_key
from tenants.models import Tenant

logger = logging.getLogger(__name__)

FLAP_WINDOW = timedelta(hours=1)
FLAP_TRANSITIONS = 6  # fired/resolved this many times within the hour: flapping
FLAP_RESOLVE_AFTER = timedelta(minutes=30)
RULES_INVALID_KEY = "alert-rules-invalid"
_SCOPE_IN_KEY = 180
TENANT_SCOPE = "tenant"  # a rule's scope whose values are stores' schema names


@dataclass(frozen=True)
class Evaluation:
    rule: str
    scope: str
    status: str
    value: float | None
    samples: int
    detail: str
    action: str  # "fired", "resolved", "" (nothing changed that anyone hears about)


def incident_key(rule: str, scope: str) -> str:
    return f"alert:{rule}" + (f":{scope[:_SCOPE_IN_KEY]}" if scope else "")


# -- the rule file ------------------------------------------------------------------------------


def rules_in_force(*, path: Path | None = None, now: datetime | None = None) -> RuleSet:
    """The rules on disk if they load; otherwise the last ones that did, with an incident.

    Raises RuleFileError only when the file is broken and no earlier version ever loaded.
    """
    now = now or timezone.now()
    path = path or Path(settings.ALERT_RULES_FILE)
    stored = RuleFile.objects.order_by("pk").first()
    try:
        ruleset = rules_load(path)
    except RuleFileError as exc:
        logger.error("alert rules rejected, keeping the previous ones: %s", exc)
        if stored is not None and stored.error != str(exc):
            RuleFile.objects.filter(pk=stored.pk).update(error=str(exc), error_at=now)
        incident_fire(
            key=RULES_INVALID_KEY,
            title=f"Alert rules file rejected (line {exc.line}): {exc.reason}"[:300],
            priority="P2",
            details={"error": str(exc), "line": exc.line, "path": str(path)},
            now=now,
        )
        if stored is None:
            raise
        return rules_parse(stored.text, path=f"{path} (last loaded {stored.loaded_at:%F %T})")
    checksum = hashlib.sha256(ruleset.text.encode()).hexdigest()
    if stored is None:
        RuleFile.objects.create(text=ruleset.text, checksum=checksum, loaded_at=now)
    elif stored.checksum != checksum or stored.error:
        RuleFile.objects.filter(pk=stored.pk).update(
            text=ruleset.text,
            checksum=checksum,
            loaded_at=now if stored.checksum != checksum else stored.loaded_at,
            error="",
            error_at=None,
        )
    incident_resolve_by_key(key=RULES_INVALID_KEY, now=now)
    return ruleset


# -- evaluation ---------------------------------------------------------------------------------


def alerts_evaluate(*, ruleset: RuleSet, now: datetime | None = None) -> list[Evaluation]:
    """Evaluate every rule once; fire and resolve incidents as their states change."""
    now = now or timezone.now()
    streaks: dict[str, tuple[int, int]] = {}
    results: list[Evaluation] = []
    for rule in ruleset.rules:
        try:
            readings = _readings(rule, now, streaks)
        except Exception:
            logger.exception("alert rule %s could not be read", rule.name)
            readings = {GLOBAL: Reading(None, 0, "the reading failed (see the logs)")}
        known_scopes = set(
            AlertState.objects.filter(rule=rule.name).values_list("scope", flat=True)
        )
        for scope in sorted(set(readings) | known_scopes):
            reading = readings.get(scope, Reading(None, 0, "no samples in this scope"))
            results.append(_step(rule, scope, reading, now))
    _forget_removed_rules(ruleset, now)
    return results


def _readings(rule: Rule, now: datetime, streaks: dict[str, tuple[int, int]]) -> dict[str, Reading]:
    source = SOURCES[rule.condition.subject]
    if not rule.streak:
        return source.read(now, rule.window_seconds, rule.scope)
    assert source.streak is not None
    if source.streak not in streaks:  # taking a streak's peak restarts it: once per run
        streaks[source.streak] = metric_streak(source.streak)
    current, peak = streaks[source.streak]
    samples = int(
        sum(
            v
            for f, v in window_fields(source.streak, now, rule.window_seconds).items()
            if f.endswith("|count")
        )
    )
    if not samples and not peak:
        return {GLOBAL: Reading(None, 0, "no webhook answered in the window")}
    return {
        GLOBAL: Reading(
            float(peak),
            max(samples, peak),
            f"longest run of answers over {source.streak_bound:g} ms since the last "
            f"evaluation: {peak} (now {current} in a row)",
        )
    }


def _step(rule: Rule, scope: str, reading: Reading, now: datetime) -> Evaluation:
    with transaction.atomic():
        state, _ = AlertState.objects.select_for_update().get_or_create(
            rule=rule.name,
            scope=scope,
            defaults={"since": now, "evaluated_at": now, "status": AlertStatus.UNKNOWN},
        )
        state.value = reading.value if reading.value is None else min(reading.value, 1e12)
        state.samples = reading.samples
        state.detail = reading.detail[:500]
        state.evaluated_at = now
        state.transitions = [
            t for t in state.transitions if datetime.fromisoformat(t) > now - FLAP_WINDOW
        ]
        action = ""
        known = reading.value is not None and reading.samples >= rule.min_samples
        if not known:
            if reading.value is not None:
                state.detail = (
                    f"only {reading.samples} samples (needs {rule.min_samples}): {reading.detail}"
                )[:500]
            state.pending_since = None
            state.consecutive = 0
            if state.status != AlertStatus.FIRING:  # a firing rule stays firing until seen clear
                _move(state, AlertStatus.UNKNOWN, now)
            state.clear_since = None
        elif _breached(rule, reading):
            state.clear_since = None
            if rule.streak:
                met = True
            elif rule.consecutive:
                state.consecutive += 1
                met = state.consecutive >= rule.consecutive
            else:
                state.pending_since = state.pending_since or now
                met = now - state.pending_since >= timedelta(seconds=rule.for_seconds)
            if state.status == AlertStatus.FIRING or met:
                if state.status != AlertStatus.FIRING:
                    _move(state, AlertStatus.FIRING, now)
                    state.transitions.append(now.isoformat())
                    action = "fired"
                state.incident = _fire(rule, scope, reading, state, now)
            else:
                _move(state, AlertStatus.PENDING, now)
        else:
            state.pending_since = None
            state.consecutive = 0
            if state.status == AlertStatus.FIRING:
                state.clear_since = state.clear_since or now
                hold = timedelta(seconds=rule.resolve_after_seconds)
                if len(state.transitions) >= FLAP_TRANSITIONS:
                    hold = max(hold, FLAP_RESOLVE_AFTER)
                if now - state.clear_since >= hold:
                    incident_resolve_by_key(key=incident_key(rule.name, scope), now=now)
                    _move(state, AlertStatus.OK, now)
                    state.transitions.append(now.isoformat())
                    state.clear_since = None
                    action = "resolved"
            else:
                _move(state, AlertStatus.OK, now)
        state.save()
    return Evaluation(
        rule=rule.name,
        scope=scope,
        status=state.status,
        value=reading.value,
        samples=reading.samples,
        detail=state.detail,
        action=action,
    )


def _breached(rule: Rule, reading: Reading) -> bool:
    assert reading.value is not None
    if rule.streak:
        return reading.value >= rule.consecutive
    return rule.condition.holds(reading.value)


def _move(state: AlertState, status: str, now: datetime) -> None:
    if state.status != status:
        state.status = status
        state.since = now


def _fire(rule: Rule, scope: str, reading: Reading, state: AlertState, now: datetime) -> Incident:
    details: dict[str, Any] = {
        "rule": rule.name,
        "scope": scope or "global",
        "condition": rule.condition.text,
        "threshold": rule.threshold_text,
        "value": reading.value if reading.value is None else round(reading.value, 3),
        "samples": reading.samples,
        "reading": reading.detail,
        "window_seconds": rule.window_seconds,
        "channels": list(rule.notification),
        "flapping": len(state.transitions) >= FLAP_TRANSITIONS,
    }
    title = f"{rule.name}: {rule.condition.text} ({rule.threshold_text})"
    if scope:
        title += f" — {scope}"
    return incident_fire(
        key=incident_key(rule.name, scope),
        title=title[:300],
        priority=rule.priority,
        details=details,
        runbook=rule.runbook,
        tenant=_store(rule, scope),
        now=now,
    )


def _store(rule: Rule, scope: str) -> Tenant | None:
    """The store a reading is about: a rule scoped by tenant reads per schema name."""
    if rule.scope != TENANT_SCOPE or not scope:
        return None
    return Tenant.objects.filter(schema_name=scope).first()


def _forget_removed_rules(ruleset: RuleSet, now: datetime) -> None:
    """A rule taken out of the file stops: its open incident resolves, its states go."""
    names = {rule.name for rule in ruleset.rules}
    for state in AlertState.objects.exclude(rule__in=names):
        if state.status == AlertStatus.FIRING:
            incident_resolve_by_key(key=incident_key(state.rule, state.scope), now=now)
        state.delete()


# -- one run, as beat does it -------------------------------------------------------------------

LOCK_SECONDS = 60


def alerts_run(*, now: datetime | None = None) -> list[Evaluation] | None:
    """Probe health and queues, then evaluate the rules in force.

    Returns None when nothing was evaluated: another run holds the lock, or the database is
    down (then the P0 channels are paged directly, since no incident can be written).
    """

    checks = health_probe()
    queue_depth_record()
    metrics_flush()
    database = checks.get("database", {})
    if not database.get("ok"):
        database_down_page(detail=str(database.get("detail", "no answer")))
        return None
    lock = redis_key("alerts", "evaluating")
    try:
        client = redis_client()
        if not client.set(lock, 1, nx=True, ex=LOCK_SECONDS):
            logger.info("alert evaluation skipped: the previous one is still running")
            return None
    except Exception:
        client = None  # Redis down: evaluate anyway (database rows serialise the states)
    try:
        return alerts_evaluate(ruleset=rules_in_force(now=now), now=now)
    finally:
        if client is not None:
            try:
                client.delete(lock)
            except Exception:
                logger.warning("could not release the alert evaluation lock", exc_info=True)
