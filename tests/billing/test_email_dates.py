"""Billing e-mails give days on the store's calendar (São Paulo), day first: a trial that ends
at 01:30 UTC on the 7th ends on the evening of the 6th for the seller."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from billing.emails import signup_trial_reminders
from billing.models import Plan
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def test_the_signup_trial_reminder_names_the_stores_last_day(tenant_a):
    trial_days = Plan.objects.get(code=tenant_a.plan_code).trial_days
    ends = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    Tenant.objects.filter(pk=tenant_a.pk).update(created_at=ends - timedelta(days=trial_days))

    sent = signup_trial_reminders(now=ends - timedelta(days=1))

    assert sent == 1
    (reminder,) = mail.outbox
    assert "Your Peepers trial ends on 06/12/2026." in reminder.body
