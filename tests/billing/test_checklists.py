"""The "SaaS Billing Compliance" checklist items billing registers (``billing/checklists.py``)."""

import pytest

from billing.models import BillingNotice, SubscriptionMirror
from compliance.attestations import attestation_record
from compliance.checklists import Basis, Outcome, checklist_run
from tests.support.billing import subscription_set

pytestmark = pytest.mark.django_db


def result(item):
    return next(r for r in checklist_run() if r.item == item)


@pytest.mark.parametrize(
    "item",
    ["Refund processing compliant", "Payment failure handling", "Subscription lifecycle managed"],
)
def test_an_item_with_nothing_to_check_is_unknown_not_pass(item):
    found = result(item)

    assert found.outcome == Outcome.UNKNOWN
    assert "nothing to check" in found.evidence


def test_stripe_security_is_checked_by_forging_a_signature(settings):
    settings.STRIPE_WEBHOOK_SECRET = ["whsec_x"]
    assert result("Stripe integration secure").outcome == Outcome.PASS

    settings.STRIPE_WEBHOOK_SECRET = []
    assert result("Stripe integration secure").outcome == Outcome.FAIL


def test_card_data_never_touches_our_pages_but_pci_needs_its_saq_a_attested():
    found = result("PCI DSS requirements met")
    assert found.outcome == Outcome.UNKNOWN
    assert found.basis == Basis.CHECK_AND_ATTESTATION
    assert found.details["card_data_surfaces"] == []
    assert "not attested" in found.evidence

    attestation_record(
        item="PCI DSS requirements met",
        by="Finance@Peepers.test",
        statement="SAQ A 2026 signed; PDF in the finance drive",
    )

    found = result("PCI DSS requirements met")
    assert found.outcome == Outcome.PASS
    assert "attested by finance@peepers.test on" in found.evidence
    assert found.details["attestation"]["statement"].startswith("SAQ A 2026")


def test_a_past_due_store_told_by_e_mail_passes_payment_failure_handling(tenant_a):
    subscription_set(tenant_a, "past_due")
    SubscriptionMirror.objects.filter(tenant=tenant_a).update(latest_invoice_id="in_1")
    assert result("Payment failure handling").outcome == Outcome.FAIL

    BillingNotice.objects.create(
        key="payment_failed:in_1:1", kind="payment_failed", tenant=tenant_a, recipient="a@x.test"
    )
    assert result("Payment failure handling").outcome == Outcome.PASS
