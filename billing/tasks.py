"""Celery tasks of billing: thin wrappers over the services."""

from __future__ import annotations

import logging

from billing.emails import signup_trial_reminders
from billing.errors import StripeUnavailable
from billing.events import event_process, inbox_reconcile
from billing.offboarding import customer_offboard, offboarded_reconcile
from billing.sync import subscriptions_reconcile
from peepers.tasks import RetryPolicy, task

logger = logging.getLogger(__name__)


@task(
    name="billing.stripe_event_process",
    queue="high",
    tenant_scoped=False,  # it finds the store from the event's customer
    soft_time_limit=600,
)
def stripe_event_process(event_pks: list[int]) -> dict[str, int]:
    """Process inbox rows one by one; outcomes counted. Each row is claimed on its own."""
    outcomes: dict[str, int] = {}
    for event_pk in event_pks:
        outcome = event_process(event_pk=event_pk)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@task(name="billing.stripe_inbox_reconcile", queue="high", tenant_scoped=False, soft_time_limit=50)
def stripe_inbox_reconcile() -> dict[str, int]:
    return inbox_reconcile()


@task(name="billing.sync_subscriptions", queue="low", tenant_scoped=False, soft_time_limit=3000)
def sync_subscriptions() -> dict[str, int]:
    outcome = subscriptions_reconcile()
    outcome["offboarded_canceled"] = offboarded_reconcile()
    return outcome


@task(name="billing.signup_trials_ending", queue="low", tenant_scoped=False, soft_time_limit=600)
def signup_trials_ending() -> int:
    return signup_trial_reminders()


@task(
    name="billing.customer_offboard",
    queue="high",
    tenant_scoped=False,
    soft_time_limit=120,
    retry=RetryPolicy(on=(StripeUnavailable,), max_retries=10, backoff_seconds=30),
)
def billing_customer_offboard(stripe_customer_id: str, session_ids: list[str], reason: str) -> int:
    return customer_offboard(
        stripe_customer_id=stripe_customer_id, session_ids=session_ids, reason=reason
    )
