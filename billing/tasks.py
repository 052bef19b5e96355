"""Celery tasks of billing: thin wrappers over the services."""

from __future__ import annotations

import logging

from billing.emails import signup_trial_reminders
from billing.errors import StripeUnavailable
from billing.events import STRIPE_INBOX
from billing.offboarding import customer_offboard, offboarded_reconcile
from billing.sync import subscriptions_reconcile
from core.tasks import RetryPolicy, task

logger = logging.getLogger(__name__)


# The Stripe inbox's pair, declared with its ledger: process rows, reconcile what was lost.
stripe_event_process = STRIPE_INBOX.process_task
stripe_inbox_reconcile = STRIPE_INBOX.reconcile_task


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
