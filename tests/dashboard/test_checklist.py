"""The overview's first steps for a new seller: each ticks itself, and the list goes once done."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.services import team_invite
from billing.entitlements import entitlements_for
from billing.models import SubscriptionMirror
from dashboard.checklist import checklist_for
from integrations.mercadolivre.models import MLAccount, SyncKind, SyncRun, SyncStatus
from integrations.mercadolivre.selectors.accounts import accounts_listed
from tenants.models import Tenant
from tests.accounts.conftest import logged_in
from tests.dashboard.support import account_connect
from tests.factories.users import store_user_create
from tests.support.billing import subscription_set
from tests.support.clients import store_client
from users.models import Role, User

pytestmark = pytest.mark.django_db

MEMBER_PASSWORD = "a-long-member-password-1"


def step(html: str, name: str) -> str:
    """The checklist's ``<li>`` of step ``name``."""
    found = re.search(rf'<li id="step-{name}".*?</li>', html, re.S)
    assert found, f"no step {name}"
    return found.group(0)


def synced(tenant: Tenant) -> MLAccount:
    account = account_connect(tenant, ml_user_id=111)
    with tenant_context(tenant):
        SyncRun.objects.create(account=account, kind=SyncKind.INITIAL, status=SyncStatus.SUCCEEDED)
    return account


def member_client(tenant: Tenant, role: str = Role.MEMBER) -> Client:
    store_user_create(tenant, f"{role}@a.example.com", MEMBER_PASSWORD, role=role)
    return logged_in(tenant, f"{role}@a.example.com", MEMBER_PASSWORD)


def test_a_fresh_store_sees_every_step_open_and_connects_in_one_click(tenant_a):
    html = store_client(tenant_a, login=True).get("/").content.decode()

    assert 'id="checklist"' in html
    for name in ("connect", "sync", "plan", "team"):
        assert 'class="open"' in step(html, name)
    assert 'href="/billing/"' in step(html, "plan")
    assert 'id="step-plan-trial"' in step(html, "plan")  # the trial's end date
    assert 'href="/team/"' in step(html, "team")
    assert 'href="/sync/"' in step(html, "sync")
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*id="connect-form"', html)
    assert form
    assert form.group(1) == "/settings/mercado-livre/connect"
    assert 'href="/settings/mercado-livre/">' not in html


def test_a_connected_and_synced_store_sees_those_steps_ticked(tenant_a):
    synced(tenant_a)

    html = store_client(tenant_a, login=True).get("/").content.decode()

    assert 'class="done"' in step(html, "connect")
    assert 'class="done"' in step(html, "sync")
    assert 'class="open"' in step(html, "plan")
    assert 'class="open"' in step(html, "team")
    assert 'id="connect-form"' not in html


def test_the_checklist_goes_once_every_step_is_done(tenant_a):
    synced(tenant_a)
    store_user_create(tenant_a, "colleague@a.example.com", MEMBER_PASSWORD)
    client = store_client(tenant_a, login=True)
    assert 'class="open"' in step(client.get("/").content.decode(), "plan")

    subscription_set(tenant_a, "active")
    html = client.get("/").content.decode()

    assert 'id="checklist"' not in html
    assert 'id="ml-health"' in html


def test_a_trialing_subscription_has_not_chosen_a_plan_yet(tenant_a):
    synced(tenant_a)
    subscription_set(tenant_a, "trialing")
    store_user_create(tenant_a, "colleague@a.example.com", MEMBER_PASSWORD)

    html = store_client(tenant_a, login=True).get("/").content.decode()

    assert 'class="open"' in step(html, "plan")
    assert 'class="done"' in step(html, "team")


def test_a_plan_chosen_with_a_card_during_the_trial_ticks_the_step(tenant_a):
    subscription_set(tenant_a, "trialing")
    SubscriptionMirror.objects.filter(tenant=tenant_a).update(has_payment_method=True)

    html = store_client(tenant_a, login=True).get("/").content.decode()

    assert 'class="done"' in step(html, "plan")


def test_an_inactive_user_is_not_yet_the_team(tenant_a):
    colleague = store_user_create(tenant_a, "invited@a.example.com", MEMBER_PASSWORD)
    with tenant_context(tenant_a):
        type(colleague).objects.filter(pk=colleague.pk).update(is_active=False)

    html = store_client(tenant_a, login=True).get("/").content.decode()

    assert 'class="open"' in step(html, "team")


def test_a_member_is_told_who_can_connect(tenant_a):
    html = member_client(tenant_a).get("/").content.decode()

    assert 'id="connect-form"' not in html
    assert 'id="connect-managers-only"' in html


def test_an_admin_gets_the_connect_button(tenant_a):
    html = member_client(tenant_a, Role.ADMIN).get("/").content.decode()

    assert 'id="connect-form"' in html


def test_a_running_initial_sync_shows_its_progress(tenant_a):
    account = account_connect(tenant_a, ml_user_id=111)
    with tenant_context(tenant_a):
        SyncRun.objects.create(
            account=account, kind=SyncKind.INITIAL, counts={"orders": 50}, totals={"orders": 200}
        )

    html = store_client(tenant_a, login=True).get("/").content.decode()

    sync = step(html, "sync")
    assert 'class="open"' in sync
    assert 'id="step-sync-progress"' in sync
    assert '<progress max="200" value="50"' in sync


def test_the_checklist_costs_a_few_queries_whatever_the_store_holds(tenant_a):
    account = account_connect(tenant_a, ml_user_id=111)
    for n in range(5):
        store_user_create(tenant_a, f"colleague{n}@a.example.com", MEMBER_PASSWORD)
    with tenant_context(tenant_a):
        for _ in range(5):
            SyncRun.objects.create(account=account, kind=SyncKind.INCREMENTAL, status="failed")
        SyncRun.objects.create(account=account, kind=SyncKind.INITIAL)
        accounts = accounts_listed()
        entitlement = entitlements_for(tenant=tenant_a)
        with CaptureQueriesContext(connection) as captured:
            checklist = checklist_for(tenant=tenant_a, accounts=accounts, entitlement=entitlement)

    assert checklist is not None
    assert checklist.sync_progress == []
    # The sync runs twice (the last run, the runs in progress) and the team's size once.
    assert len(captured) == 3


def test_the_overview_query_count_does_not_grow_with_the_team(tenant_a):
    synced(tenant_a)
    client = store_client(tenant_a, login=True)
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        alone = client.get("/").content.decode()
    for n in range(5):
        store_user_create(tenant_a, f"colleague{n}@a.example.com", MEMBER_PASSWORD)
    with CaptureQueriesContext(connection) as many:
        team = client.get("/").content.decode()

    assert 'class="open"' in step(alone, "team")
    assert 'class="done"' in step(team, "team")
    assert len(many) == len(few)


def test_an_invitation_sent_ticks_the_team_step_before_it_is_accepted(tenant_a):
    with tenant_context(tenant_a):
        owner = User.objects.get(role=Role.OWNER)
        team_invite(tenant=tenant_a, actor=owner, email="invited@a.example.com", role=Role.MEMBER)

    html = store_client(tenant_a, login=True).get("/").content.decode()

    assert 'class="done"' in step(html, "team")
