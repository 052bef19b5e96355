"""Other apps' actions that leave an audit trail: refunds and key rotation."""

import uuid

from django.core.management import call_command

from billing.models import RefundReason
from billing.refunds import refund_create
from compliance.audit.models import AuditAction, AuditEvent
from compliance.audit.services import Actor
from integrations.mercadolivre.keys import ml_tokens_rotate
from tests.billing.conftest import stripe, stripe_emulator  # noqa: F401 - fixtures
from tests.billing.test_money import paid_invoice  # noqa: F401 - fixture


def test_a_refund_is_recorded_for_its_store_and_staff_member(stripe, paid_invoice, tenant_a):  # noqa: F811
    made = refund_create(
        invoice=paid_invoice,
        amount_cents=1000,
        reason=RefundReason.REQUESTED_BY_CUSTOMER,
        note="customer asked",
        requested_by="staff@peepers.test",
        request_id=uuid.uuid4(),
    )

    event = AuditEvent.objects.get(action=AuditAction.REFUND)
    assert (event.actor_kind, event.actor_email, event.tenant) == (
        "staff",
        "staff@peepers.test",
        tenant_a,
    )
    assert (event.object_type, event.object_id) == ("billing.refund", str(made.pk))
    assert event.details["amount_cents"] == 1000


def test_key_rotation_is_recorded(tenant_a):
    call_command("rotate_ml_keys", "--json")

    event = AuditEvent.objects.get(action=AuditAction.KEY_ROTATION)
    assert (event.actor_kind, event.actor_id) == ("system", "rotate_ml_keys")
    assert event.details["stores"] >= 2


def test_key_rotation_is_recorded_by_the_service_under_the_actor_it_is_given(tenant_a):
    report = ml_tokens_rotate(actor=Actor.staff(email="staff@peepers.test", id="7"))

    event = AuditEvent.objects.get(action=AuditAction.KEY_ROTATION)
    assert (event.actor_kind, event.actor_id, event.actor_email) == (
        "staff",
        "7",
        "staff@peepers.test",
    )
    assert event.tenant is None
    assert event.details == {"keys": "FIELD_ENCRYPTION_KEYS", **report.as_dict()}
