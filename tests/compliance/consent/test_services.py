"""Granting, revoking and what counts as a current consent, across notice versions and stores."""

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from compliance.audit.models import AuditAction, AuditEvent
from compliance.consent.errors import ConsentNotApplicable
from compliance.consent.models import ConsentChannel, ConsentRecord
from compliance.consent.selectors import consent_current, consent_required
from compliance.consent.services import consent_grant, consent_revoke, marketing_email_send
from tests.compliance.consent.support import publish_privacy
from tests.support.clients import owner_of

pytestmark = pytest.mark.django_db

MARKETING = "marketing_email"
ANALYTICS = "product_analytics"


@pytest.fixture
def owner(tenant_a):
    with tenant_context(tenant_a):
        yield owner_of(tenant_a)


def grant(user, purpose=MARKETING):
    return consent_grant(user=user, purpose=purpose, channel=ConsentChannel.PRIVACY_CENTER)


def revoke(user, purpose=MARKETING):
    return consent_revoke(user=user, purpose=purpose, channel=ConsentChannel.PRIVACY_CENTER)


def test_nothing_is_granted_by_default(owner):
    assert not consent_current(user=owner, purpose=MARKETING)
    assert [p.code for p in consent_required(user=owner)] == [MARKETING, ANALYTICS]


def test_the_latest_decision_wins(owner):
    grant(owner)
    assert consent_current(user=owner, purpose=MARKETING)

    revoke(owner)
    assert not consent_current(user=owner, purpose=MARKETING)

    grant(owner)
    assert consent_current(user=owner, purpose=MARKETING)
    assert not consent_current(user=owner, purpose=ANALYTICS)
    assert list(ConsentRecord.objects.values_list("action", flat=True)) == [
        "granted",
        "revoked",
        "granted",
    ]


def test_each_change_is_audited_and_a_repeated_click_writes_nothing(owner, tenant_a):
    first = grant(owner)
    again = grant(owner)
    revoke(owner)

    assert (first.changed, again.changed, again.record.pk) == (True, False, first.record.pk)
    assert ConsentRecord.objects.count() == 2
    events = AuditEvent.objects.filter(tenant=tenant_a).order_by("id")
    assert [e.action for e in events] == [
        AuditAction.CONSENT_GRANTED,
        AuditAction.CONSENT_REVOKED,
    ]
    assert events[0].details["purpose"] == MARKETING
    assert events[0].actor_email == owner.email


def test_a_grant_records_the_notice_version_in_force(owner, settings):
    assert grant(owner).record.notice_version == settings.PEEPERS_PRIVACY_NOTICE_VERSION

    publish_privacy("2026-12-01", days_ago=1)
    assert grant(owner, ANALYTICS).record.notice_version == "2026-12-01"


def test_a_notice_that_changes_a_purpose_asks_for_fresh_consent(owner):
    publish_privacy("2026-12-01", days_ago=5)
    grant(owner)
    grant(owner, ANALYTICS)

    publish_privacy("2026-12-20", changes=[MARKETING])

    assert not consent_current(user=owner, purpose=MARKETING)
    assert consent_current(user=owner, purpose=ANALYTICS)  # not changed by the new version
    assert [p.code for p in consent_required(user=owner)] == [MARKETING]
    renewed = grant(owner)
    assert (renewed.changed, renewed.record.notice_version) == (True, "2026-12-20")
    assert consent_current(user=owner, purpose=MARKETING)
    assert consent_required(user=owner) == []


def test_a_notice_that_changes_nothing_keeps_consents(owner):
    publish_privacy("2026-12-01", days_ago=5)
    grant(owner)

    publish_privacy("2026-12-20")

    assert consent_current(user=owner, purpose=MARKETING)


def test_purposes_not_based_on_consent_cannot_be_granted(owner, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(ConsentNotApplicable, match="not on consent"):
        grant(owner, "service_contract")
    assert not consent_current(user=owner, purpose="service_contract")
    assert not consent_current(user=owner, purpose="no_such_purpose")


def test_a_refusal_is_a_decision(owner):
    revoke(owner, ANALYTICS)

    assert not consent_current(user=owner, purpose=ANALYTICS)
    assert [p.code for p in consent_required(user=owner)] == [MARKETING]


def test_marketing_email_goes_only_to_users_with_a_current_consent(owner):
    assert marketing_email_send(user=owner, subject="Novidades", body="Oi") is False
    grant(owner)
    assert marketing_email_send(user=owner, subject="Novidades", body="Oi") is True
    revoke(owner)
    assert marketing_email_send(user=owner, subject="Novidades", body="Oi") is False

    assert [m.to for m in mail.outbox] == [[owner.email]]


def test_one_stores_ledger_is_invisible_from_another(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        grant(owner_of(tenant_a))
        assert ConsentRecord.objects.count() == 1
    with tenant_context(tenant_b):
        owner_b = owner_of(tenant_b)
        assert ConsentRecord.objects.count() == 0
        assert not consent_current(user=owner_b, purpose=MARKETING)
