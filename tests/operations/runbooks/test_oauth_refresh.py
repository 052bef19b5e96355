"""Runbook oauth-refresh-failures: the failure rate and accounts, store by store; marking and
mailing once; the success ratio of the last N refreshes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from core import crypto
from core.metrics import metric_count
from integrations.mercadolivre.models import MLAccount, MLAccountStatus
from operations.runbooks import oauth_refresh
from operations.runbooks.registry import Options, Outcome
from tenants.models import Tenant
from tests.integrations.support import connect


def seed_refreshes(**outcomes: int) -> None:
    for outcome, amount in outcomes.items():
        metric_count("ml_token_refresh", {"outcome": outcome}, amount)


def account(tenant: Tenant, ml_user_id: int, **fields: object) -> MLAccount:
    values: dict[str, object] = {
        "ml_user_id": ml_user_id,
        "access_token": crypto.encrypt("access"),
        "refresh_token": crypto.encrypt("refresh"),
        "access_expires_at": timezone.now() + timedelta(hours=5),
        "connected_at": timezone.now(),
    }
    values.update(fields)
    with tenant_context(tenant):
        return MLAccount.objects.create(**values)


def text(result) -> str:
    return "\n".join(result.lines)


@pytest.mark.django_db
def test_a_low_failure_rate_diagnoses_ok():
    seed_refreshes(success=95, failure=5)

    result = oauth_refresh.diagnose(Options(minutes=60))

    assert result.outcome == Outcome.OK, text(result)
    assert "100 (95 ok, 5 failed, 0 invalid_grant), failure rate 5.0%" in text(result)


@pytest.mark.django_db
def test_a_high_failure_rate_diagnoses_failed():
    seed_refreshes(success=80, failure=10, invalid_grant=10)

    result = oauth_refresh.diagnose(Options(minutes=60))

    assert result.outcome == Outcome.FAILED
    assert "failure rate 20.0% above 5%" in result.lines[-1]


@pytest.mark.django_db
def test_without_refreshes_the_rate_is_no_data():
    result = oauth_refresh.diagnose(Options(minutes=60))

    assert result.outcome == Outcome.UNKNOWN
    assert result.lines[0] == "Token refreshes, last 60 min: no data"


@pytest.mark.django_db
def test_the_diagnosis_names_each_account_under_its_own_store(tenant_a, tenant_b):
    account(
        tenant_a,
        111,
        status=MLAccountStatus.NEEDS_RECONNECTION,
        needs_reconnection_since=timezone.now(),
        last_error="invalid_grant",
    )
    account(tenant_b, 222, refresh_token="not-a-fernet-token")
    account(tenant_b, 333)  # healthy: not listed

    result = oauth_refresh.diagnose(Options(minutes=60))

    assert result.data["needs_reconnection"][0]["store"] == "tenant-a"
    assert result.data["needs_reconnection"][0]["ml_user_id"] == 111
    assert result.data["broken"] == [
        {
            "store": "tenant-b",
            "ml_user_id": 222,
            "nickname": "",
            "error": oauth_refresh.UNREADABLE,
        }
    ]
    assert "333" not in text(result)
    assert result.outcome == Outcome.FAILED  # an active account that cannot refresh


@pytest.mark.usefixtures("committed_db", "celery_eager")
def test_mitigate_marks_broken_accounts_and_mails_their_owners_once(sandbox, mailoutbox):
    tenant_a = Tenant.objects.get(schema_name="tenant-a")
    tenant_b = Tenant.objects.get(schema_name="tenant-b")
    connect(sandbox, tenant_a)
    sandbox.faults(revoke_refresh_tokens=True)
    sandbox.expire_tokens()
    with tenant_context(tenant_a):
        MLAccount.objects.update(access_expires_at=timezone.now() - timedelta(seconds=1))
    account(tenant_b, 222, refresh_token="")

    first = oauth_refresh.mitigate(Options())
    second = oauth_refresh.mitigate(Options())

    assert first.outcome == Outcome.OK, text(first)
    assert sorted(a["store"] for a in first.data["marked"]) == ["tenant-a", "tenant-b"]
    assert second.data["marked"] == []
    assert sorted(m.to[0] for m in mailoutbox) == ["owner@a.example.com", "owner@b.example.com"]
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant):
            assert MLAccount.objects.get().status == MLAccountStatus.NEEDS_RECONNECTION
    assert sandbox.token_requests("refresh_token") == 1


@pytest.mark.usefixtures("committed_db")
def test_mitigate_leaves_a_fresh_account_alone(sandbox):
    connect(sandbox, Tenant.objects.get(schema_name="tenant-a"))

    result = oauth_refresh.mitigate(Options())

    assert result.outcome == Outcome.OK
    assert result.data == {"marked": [], "refreshed": 0, "transient": []}
    assert sandbox.token_requests("refresh_token") == 0


@pytest.mark.django_db
def test_validate_passes_at_99_percent_of_the_last_n():
    seed_refreshes(success=199, failure=1)

    result = oauth_refresh.validate(Options(last=100))

    assert result.outcome == Outcome.OK
    assert "the last 200 refreshes (15 min window): 99.50%" in result.lines[0]


@pytest.mark.django_db
def test_validate_fails_below_99_percent():
    seed_refreshes(success=97, invalid_grant=3)

    assert oauth_refresh.validate(Options(last=100)).outcome == Outcome.FAILED


@pytest.mark.django_db
def test_validate_is_unknown_without_refreshes():
    result = oauth_refresh.validate(Options(last=100))

    assert result.outcome == Outcome.UNKNOWN
    assert "no data" in result.lines[0]


@pytest.mark.django_db
def test_diagnose_lists_accounts_whose_last_refresh_was_interrupted():
    tenant = Tenant.objects.get(schema_name="tenant-a")
    started = timezone.now() - timedelta(minutes=10)
    account(tenant, 11, refresh_started_at=started)
    account(tenant, 12, refresh_started_at=timezone.now())  # may still be waiting for ML
    account(tenant, 13)
    seed_refreshes(success=10)

    result = oauth_refresh.diagnose(Options(minutes=60))

    assert "Active accounts whose last refresh was interrupted (the next one tells): 1" in text(
        result
    )
    assert f"tenant-a: ML user 11, refresh started {started.isoformat()}" in text(result)
    assert result.outcome == Outcome.OK  # nothing is known to be wrong yet


def several_accounts(tenant: Tenant) -> None:
    """One store's four accounts: waiting to reconnect, unrefreshable, paused, healthy."""
    account(
        tenant,
        111,
        nickname="LOJA_MATRIZ",
        status=MLAccountStatus.NEEDS_RECONNECTION,
        needs_reconnection_since=timezone.now(),
    )
    account(tenant, 112, nickname="LOJA_OUTLET", refresh_token="not-a-fernet-token")
    account(tenant, 113, nickname="LOJA_MARCA", status=MLAccountStatus.PAUSED)
    account(tenant, 114, nickname="LOJA_SAUDAVEL")


@pytest.mark.django_db
def test_the_diagnosis_names_each_account_of_a_store_with_several(tenant_a):
    several_accounts(tenant_a)
    seed_refreshes(success=10)

    result = oauth_refresh.diagnose(Options(minutes=60))

    lines = text(result)
    assert "  - tenant-a: ML user 111 (LOJA_MATRIZ) since " in lines
    assert f"  - tenant-a: ML user 112 (LOJA_OUTLET): {oauth_refresh.UNREADABLE}" in lines
    assert "Paused accounts (over their plan's limit; not refreshed until made active): 1" in lines
    assert "  - tenant-a: ML user 113 (LOJA_MARCA)" in result.lines
    assert "LOJA_SAUDAVEL" not in lines
    assert [a["nickname"] for a in result.data["broken"]] == ["LOJA_OUTLET"]
    assert result.outcome == Outcome.FAILED


@pytest.mark.django_db
def test_mitigate_marks_only_the_broken_account_of_a_store(tenant_a):
    several_accounts(tenant_a)

    result = oauth_refresh.mitigate(Options())

    assert result.data["marked"] == [
        {
            "store": "tenant-a",
            "ml_user_id": 112,
            "nickname": "LOJA_OUTLET",
            "why": oauth_refresh.UNREADABLE,
        }
    ]
    assert f"  - tenant-a: ML user 112 (LOJA_OUTLET): {oauth_refresh.UNREADABLE}" in result.lines
    with tenant_context(tenant_a):
        states = dict(MLAccount.objects.values_list("ml_user_id", "status"))
    assert states == {
        111: MLAccountStatus.NEEDS_RECONNECTION,
        112: MLAccountStatus.NEEDS_RECONNECTION,
        113: MLAccountStatus.PAUSED,
        114: MLAccountStatus.ACTIVE,
    }
