"""The enforcer registry: every category has one, registered by the app whose data it is."""

from __future__ import annotations

import pytest

from compliance.retention import enforcement
from compliance.retention.enforcement import enforcer, enforcers
from compliance.retention.models import RetentionCategory
from compliance.retention.services import retention_run
from tests.compliance.retention.conftest import NOW


def test_every_category_has_an_enforcer_from_the_app_whose_data_it_is():
    found = enforcers()

    assert set(found) == {str(category) for category in RetentionCategory}
    assert {category: e.enforce.__module__.split(".")[0] for category, e in found.items()} == {
        "order_buyer_data": "integrations",
        "buyer_questions": "integrations",
        "ml_webhook_inbox": "integrations",
        "stripe_webhook_inbox": "billing",
        "audit_access_log": "compliance",
        "subject_exports": "compliance",
        "closed_stores": "compliance",
    }
    assert {category for category, e in found.items() if e.where == "store"} == {
        "order_buyer_data",
        "buyer_questions",
    }


def planted(run):
    return {}


def test_a_second_enforcer_for_a_category_is_refused(monkeypatch):
    monkeypatch.setattr(enforcement, "_ENFORCERS", dict(enforcers()))

    with pytest.raises(ValueError, match=r"already enforced by billing\.retention"):
        enforcer(RetentionCategory.STRIPE_WEBHOOK_INBOX, where="public")(planted)


def test_a_category_no_policy_can_hold_is_refused():
    with pytest.raises(ValueError, match="not a valid RetentionCategory"):
        enforcer("everything_forever", where="public")


def test_a_policy_no_app_enforces_is_skipped_saying_so(monkeypatch, policies, media):
    registered = enforcers()
    del registered[RetentionCategory.SUBJECT_EXPORTS]
    monkeypatch.setattr(enforcement, "_ENFORCERS", registered)

    report = retention_run(now=NOW, categories=["subject_exports"], origin="test")

    assert report.outcomes == {"subject_exports": "skipped: no app enforces it"}
    assert report.status == "succeeded"
    assert report.counts == {}
