"""Incidents opened from what other apps report by signal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.mercadolivre.models import MLAccount
from integrations.mercadolivre.signals import refresh_interrupted
from integrations.models import MLConnection
from operations.incidents.models import Incident, Priority, State
from operations.runbooks.registry import OAUTH_REFRESH_FAILURES

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 11, 10, 12, 34, 56, tzinfo=UTC)
INVALID_GRANT = (
    "Error validating grant. Your authorization code or refresh token may be expired or it was "
    "already used"
)


@pytest.fixture(autouse=True)
def no_channels(settings):
    settings.NOTIFY_URLS = []


def interrupted(schema: str, ml_user_id: int = 111) -> None:
    refresh_interrupted.send(
        sender=MLAccount,
        schema=schema,
        ml_user_id=ml_user_id,
        started_at=STARTED,
        message=INVALID_GRANT,
    )


def test_an_interrupted_refresh_opens_one_incident_for_the_store(tenant_a):
    interrupted(tenant_a.schema_name)
    interrupted(tenant_a.schema_name)

    incident = Incident.objects.get()
    assert incident.tenant_id == tenant_a.pk
    assert incident.state == State.TRIGGERED
    assert incident.fire_count == 2


def test_each_store_and_account_has_its_own_incident(tenant_a, tenant_b):
    interrupted(tenant_a.schema_name)
    interrupted(tenant_b.schema_name)
    interrupted(tenant_a.schema_name, ml_user_id=222)

    incidents = Incident.objects.order_by("tenant__schema_name", "key")
    assert [(i.tenant_id, i.details["ml_user_id"], i.fire_count) for i in incidents] == [
        (tenant_a.pk, 111, 1),
        (tenant_a.pk, 222, 1),
        (tenant_b.pk, 111, 1),
    ]


def test_the_incident_names_the_interruption_not_a_revocation(tenant_a):
    interrupted(tenant_a.schema_name)

    incident = Incident.objects.get()
    assert incident.priority == Priority.P1
    assert tenant_a.schema_name in incident.title
    assert "refresh begun 2026-11-10 12:34 UTC was interrupted" in incident.title
    assert "not because the seller revoked access" in incident.title
    assert "asked to reconnect" in incident.title
    assert incident.details["cause"] == "refresh_interrupted"
    assert incident.details["started_at"] == STARTED.isoformat()
    assert incident.details["message"] == INVALID_GRANT
    assert incident.runbook == OAUTH_REFRESH_FAILURES


def test_the_incident_names_the_account_of_a_store_with_several(tenant_a):
    for ml_user_id, nickname in ((111, "LOJA_MATRIZ"), (222, "LOJA_OUTLET")):
        MLConnection.objects.create(
            ml_user_id=ml_user_id, tenant=tenant_a, nickname=nickname, connected_at=STARTED
        )

    interrupted(tenant_a.schema_name, ml_user_id=222)

    incident = Incident.objects.get()
    assert "(ML user 222 LOJA_OUTLET)" in incident.title
    assert incident.details["nickname"] == "LOJA_OUTLET"
