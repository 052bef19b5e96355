"""A new seller's first steps, as the overview shows them until every one is done.

Each step's state is read on every render from what the store holds (its accounts, sync runs,
subscription and team), so a step ticks itself once done wherever it was done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q

from accounts.models import Invitation
from billing.entitlements import Entitlement
from billing.models import SubscriptionMirror, SubscriptionStatus
from integrations.mercadolivre.models import MLAccount, SyncKind
from integrations.mercadolivre.selectors.accounts import accounts_any_connected
from integrations.mercadolivre.selectors.sync import (
    PhaseProgress,
    run_progress,
    sync_run_last_success,
    sync_runs_live,
)
from tenants.models import Tenant
from users.models import User

# A subscription someone pays for. A trial counts too once a plan is chosen for after it: a
# subscription with a payment method (``_plan_chosen_in_trial``).
PAID_STATUSES = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE})


@dataclass(frozen=True)
class Checklist:
    """The four first steps; ``None`` from ``checklist_for`` once all are done."""

    connected: bool
    synced: bool
    sync_progress: list[PhaseProgress] | None  # the initial sync's while one runs, else None
    plan_chosen: bool
    trial_ends: datetime | None
    team_invited: bool

    @property
    def done(self) -> bool:
        return self.connected and self.synced and self.plan_chosen and self.team_invited


def _plan_chosen_in_trial(tenant: Tenant) -> bool:
    """A store in its trial that already subscribed to a plan with a card, to start when the
    trial ends (Stripe keeps such a subscription ``trialing``)."""
    mirror = SubscriptionMirror.objects.filter(tenant=tenant, has_payment_method=True)
    return mirror.exclude(stripe_subscription_id="").exists()


def _team_invited() -> bool:
    """Someone besides the owner is a member, or has been invited and not yet answered (a
    member removed later is neither)."""
    open_invitation = Exists(Invitation.objects.filter(user=OuterRef("pk"), accepted_at=None))
    team = User.objects.filter(Q(is_active=True) | Q(open_invitation))
    return team[:2].count() > 1


def checklist_for(
    *, tenant: Tenant, accounts: list[MLAccount], entitlement: Entitlement
) -> Checklist | None:
    """The store's first steps (inside its schema), or None when every one is done.

    ``accounts`` are the store's accounts as the overview already holds them; at most four
    queries follow (the team's size, a finished initial sync, a running one, and in a trial
    whether a plan is chosen for after it).
    """
    connected = accounts_any_connected(accounts)
    synced = connected and sync_run_last_success(kind=SyncKind.INITIAL) is not None
    progress = None
    if connected and not synced:
        running = sync_runs_live().filter(kind=SyncKind.INITIAL).defer("cursor").first()
        progress = run_progress(running) if running is not None else None
    plan_chosen = entitlement.status in PAID_STATUSES or (
        entitlement.status == SubscriptionStatus.TRIALING and _plan_chosen_in_trial(tenant)
    )
    checklist = Checklist(
        connected=connected,
        synced=synced,
        sync_progress=progress,
        plan_chosen=plan_chosen,
        trial_ends=None if plan_chosen else entitlement.until,
        team_invited=_team_invited(),
    )
    return None if checklist.done else checklist
