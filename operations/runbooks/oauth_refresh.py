"""Runbook "OAuth Token Refresh Failures": P1, respond 30 min, resolve 2 h.

Diagnose: the refresh failure rate, and the accounts that cannot refresh, store by store.
Mitigate: mark accounts whose refresh token is invalid as needing reconnection and e-mail
their owners (once: an account already marked is not marked or mailed again).
Validate: the success ratio of at least the last N refreshes is 99 % or more.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tenants.utils import get_public_schema_name, tenant_context

from core import crypto
from integrations.mercadolivre.errors import MLError, MLReconnectRequired
from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from integrations.mercadolivre.notifications import reconnect_required_mark
from integrations.mercadolivre.tokens import (
    REFRESH_AHEAD,
    REFRESH_LOCK_WAIT_SECONDS,
    token_refresh_ahead,
)
from operations.runbooks.accounts import account_entry, account_named
from operations.runbooks.measures import counts_by, metric_window
from operations.runbooks.registry import Options, Outcome, Result
from operations.runbooks.sections import Finding, Section, Verdict, diagnosis
from tenants.models import Tenant

FAILURE_RATE_LIMIT = 0.05  # the runbook's detection: failed refresh rate > 5 %
SUCCESS_TARGET = 0.99  # the KPI: token refresh > 99 %
# Windows validate widens through until it holds the last N refreshes (Redis keeps 3 days).
VALIDATE_WINDOWS_MINUTES = (15, 60, 240, 1440, 4320)
UNREADABLE = "refresh token missing or unreadable"


def _stores() -> Iterator[Tenant]:
    yield from Tenant.objects.exclude(schema_name=get_public_schema_name()).order_by("schema_name")


def _refresh_token_readable(account: MLAccount) -> bool:
    if not account.refresh_token:
        return False
    try:
        crypto.decrypt(account.refresh_token)
    except crypto.DecryptionFailed:
        return False
    return True


def _entry(tenant: Tenant, account: MLAccount) -> dict[str, Any]:
    return account_entry(
        store=tenant.schema_name, ml_user_id=account.ml_user_id, nickname=account.nickname
    )


def _refresh_counts(minutes: int) -> tuple[dict[str, int], str]:
    window = metric_window("ml_token_refresh", minutes=minutes)
    counts = {outcome: int(n) for (outcome,), n in counts_by(window, "outcome").items()}
    return counts, window.source


@dataclass(frozen=True)
class _Refreshes:
    """The window's refresh counts by outcome, read once: the verdict needs them too."""

    minutes: int
    counts: dict[str, int]
    source: str

    @property
    def rate(self) -> float | None:
        """The failure rate, None when there were no refreshes."""
        total = sum(self.counts.values())
        failed = self.counts.get("failure", 0) + self.counts.get("invalid_grant", 0)
        return failed / total if total else None


def _refresh_rate(refreshes: _Refreshes) -> Finding:
    minutes, counts, rate = refreshes.minutes, refreshes.counts, refreshes.rate
    data = {"failure_rate": rate}
    if rate is None:
        return Finding((f"Token refreshes, last {minutes} min: no data",), data)
    line = (
        f"Token refreshes, last {minutes} min: {sum(counts.values())} "
        f"({counts.get('success', 0)} ok, {counts.get('failure', 0)} failed, "
        f"{counts.get('invalid_grant', 0)} invalid_grant), failure rate {rate:.1%} "
        f"[{refreshes.source}]"
    )
    high = rate > FAILURE_RATE_LIMIT
    problem = f"refresh failure rate {rate:.1%} above {FAILURE_RATE_LIMIT:.0%}"
    return Finding((line,), data, (problem,) if high else ())


def _accounts(refreshes: _Refreshes) -> Finding:
    needs, broken, interrupted, paused = [], [], [], []
    for tenant in _stores():
        with tenant_context(tenant):
            for account in MLAccount.objects.exclude(status=MLAccountStatus.DISCONNECTED).order_by(
                "ml_user_id"
            ):
                entry = _entry(tenant, account)
                if account.status == MLAccountStatus.PAUSED:
                    paused.append(entry)
                elif account.status == MLAccountStatus.NEEDS_RECONNECTION:
                    since = account.needs_reconnection_since
                    needs.append(
                        {
                            **entry,
                            "since": since.isoformat() if since else None,
                            "error": account.last_error,
                        }
                    )
                elif not _refresh_token_readable(account):
                    broken.append({**entry, "error": UNREADABLE})
                elif account.refresh_started_at is not None and not _refreshing_now(account):
                    # A refresher died (or lost its connection) after sending: whether ML spent
                    # the token shows at the next refresh (tokens.py).
                    interrupted.append({**entry, "since": account.refresh_started_at.isoformat()})
    lines = [
        f"Accounts waiting for their seller to reconnect: {len(needs)}",
        *(
            f"  - {account_named(a)} since {a['since'] or '?'}"
            + (f" ({a['error']})" if a["error"] else "")
            for a in needs
        ),
        f"Active accounts that cannot refresh (mitigate marks them): {len(broken)}",
        *(f"  - {account_named(a)}: {a['error']}" for a in broken),
        f"Active accounts whose last refresh was interrupted (the next one tells): "
        f"{len(interrupted)}",
        *(f"  - {account_named(a)}, refresh started {a['since']}" for a in interrupted),
        f"Paused accounts (over their plan's limit; not refreshed until made active): "
        f"{len(paused)}",
        *(f"  - {account_named(a)}" for a in paused),
    ]
    problem = f"{len(broken)} active account(s) with an unusable refresh token"
    return Finding(
        tuple(lines),
        {
            "needs_reconnection": needs,
            "broken": broken,
            "interrupted": interrupted,
            "paused": paused,
        },
        (problem,) if broken else (),
    )


def _refreshing_now(account: MLAccount) -> bool:
    """Whether the marker may belong to a refresh still waiting for ML's answer."""
    assert account.refresh_started_at is not None
    return account.refresh_started_at > timezone.now() - timedelta(
        seconds=REFRESH_LOCK_WAIT_SECONDS
    )


def _transient(refreshes: _Refreshes) -> Finding:
    return Finding(
        ("Transient failures (ML unreachable, 429, 5xx) are counted, not tied to an account.",)
    )


SECTIONS: tuple[Section[_Refreshes], ...] = (
    Section("Token refresh failure rate", _refresh_rate),
    Section("Accounts that cannot refresh", _accounts),
    Section("Transient failures", _transient),
)


def _verdict(refreshes: _Refreshes) -> Verdict:
    return Verdict(
        ok=f"failure rate within {FAILURE_RATE_LIMIT:.0%}",
        unknown="no refreshes recorded in the window" if refreshes.rate is None else "",
    )


def diagnose(options: Options) -> Result:
    counts, source = _refresh_counts(options.minutes)
    return diagnosis(
        _Refreshes(options.minutes, counts, source),
        SECTIONS,
        data={"minutes": options.minutes, "refreshes": counts},
        verdict=_verdict,
    )


@dataclass
class _Tally:
    marked: list[dict[str, Any]]
    refreshed: int
    transient: list[dict[str, Any]]


def mitigate(options: Options) -> Result:
    tally = _Tally(marked=[], refreshed=0, transient=[])
    for tenant in _stores():
        with tenant_context(tenant):
            _mitigate_store(tenant, tally)
    lines = [
        f"Marked for reconnection (owners and admins e-mailed once): {len(tally.marked)}",
        *(f"  - {account_named(a)}: {a['why']}" for a in tally.marked),
        f"Due tokens refreshed successfully: {tally.refreshed}",
        f"Transient refresh failures (left active, retried on next use): {len(tally.transient)}",
        *(f"  - {account_named(a)}: {a['why']}" for a in tally.transient),
    ]
    data = {"marked": tally.marked, "refreshed": tally.refreshed, "transient": tally.transient}
    if tally.transient:
        lines.append("Verdict: FAILED: some refreshes failed for reasons ML may still fix")
        return Result(Outcome.FAILED, tuple(lines), data)
    lines.append("Verdict: OK: every active account can refresh or is marked for reconnection")
    return Result(Outcome.OK, tuple(lines), data)


def _mitigate_store(tenant: Tenant, tally: _Tally) -> None:
    due_before = timezone.now() + REFRESH_AHEAD  # what the schedule would refresh
    for account in MLAccount.objects.filter(status=MLAccountStatus.ACTIVE).order_by("pk"):
        entry = _entry(tenant, account)
        if not _refresh_token_readable(account):
            if reconnect_required_mark(account=account, reason=UNREADABLE):
                tally.marked.append({**entry, "why": UNREADABLE})
            continue
        if account.access_expires_at and account.access_expires_at > due_before:
            continue  # a fresh access token: nothing to refresh, nothing known to be wrong
        try:
            token_refresh_ahead(account_id=account.pk)
        except MLReconnectRequired as exc:
            # token_refresh marked the account and queued the owners' e-mail.
            tally.marked.append({**entry, "why": f"ML refused the refresh: {exc.message}"})
        except MLError as exc:
            tally.transient.append({**entry, "why": f"{type(exc).__name__}: {exc.message}"})
        else:
            tally.refreshed += 1


def validate(options: Options) -> Result:
    wanted = max(1, options.last)
    counts: dict[str, int] = {}
    minutes = VALIDATE_WINDOWS_MINUTES[-1]
    source = "none"
    for minutes in VALIDATE_WINDOWS_MINUTES:
        counts, source = _refresh_counts(minutes)
        if sum(counts.values()) >= wanted:
            break
    total = sum(counts.values())
    data: dict[str, Any] = {"wanted": wanted, "minutes": minutes, "refreshes": counts}
    if total == 0:
        line = f"No token refreshes recorded in the last {timedelta(minutes=minutes)}: no data"
        return Result(Outcome.UNKNOWN, (line, "Verdict: UNKNOWN"), data)
    ratio = counts.get("success", 0) / total
    data["success_ratio"] = ratio
    scope = (
        f"the last {total} refreshes ({minutes} min window)"
        if total >= wanted
        else f"only {total} refreshes in {minutes} min (fewer than --last {wanted})"
    )
    lines = [f"Refresh success over {scope}: {ratio:.2%} [{source}]"]
    if ratio >= SUCCESS_TARGET:
        lines.append(f"Verdict: OK: at or above {SUCCESS_TARGET:.0%}")
        return Result(Outcome.OK, tuple(lines), data)
    lines.append(f"Verdict: FAILED: below {SUCCESS_TARGET:.0%}")
    return Result(Outcome.FAILED, tuple(lines), data)
