"""Many admin rows, cheaply: bulk inserts, and stores as rows without schemas."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from billing.models import InvoiceRecord, StripeEvent, SubscriptionMirror, SubscriptionStatus
from compliance.audit.models import ActorKind, AuditAction, AuditEvent
from compliance.models import DataSubjectRequest, RequestKind, RequestScope
from integrations.models import MLConnection, MLConnectionStatus, MLNotification
from operations.incidents.models import Incident, Notification
from operations.runbooks.models import RunbookRun
from tenants.models import Tenant, TenantStatus
from tests.factories.inbox import ml_notification, stripe_event

_serial = itertools.count(1)


def stores(
    count: int, *, plan_code: str = "starter", status: str = TenantStatus.ACTIVE
) -> list[Tenant]:
    """Tenant rows with no schema (``auto_create_schema`` is off and ``bulk_create`` saves none):
    enough for the store list, which never enters a schema. Every other one has a subscription
    and an ML connection, so the list's columns have something to show."""
    now = timezone.now()
    made = Tenant.objects.bulk_create(
        Tenant(
            schema_name=f"bulk-{n}",
            name=f"Bulk store {n:05d}",
            owner_email=f"owner{n}@bulk.example.com",
            plan_code=plan_code,
            status=status,
        )
        for n in (next(_serial) for _ in range(count))
    )
    SubscriptionMirror.objects.bulk_create(
        SubscriptionMirror(
            tenant=tenant,
            stripe_customer_id=f"cus_bulk{tenant.pk}",
            status=SubscriptionStatus.ACTIVE,
            synced_at=now,
        )
        for tenant in made[::2]
    )
    MLConnection.objects.bulk_create(
        MLConnection(
            ml_user_id=900_000_000 + tenant.pk,
            tenant=tenant,
            status=MLConnectionStatus.ACTIVE,
            connected_at=now,
        )
        for tenant in made[::2]
    )
    return made


def notifications(count: int, *, tenant: Tenant | None, **fields: object) -> list[MLNotification]:
    return MLNotification.objects.bulk_create(
        ml_notification(
            dedup_key=f"bulk-{n}",
            resource=f"/orders/{2_000_000_000 + n}",
            ml_user_id=1001,
            payload={"resource": f"/orders/{n}"},
            tenant=tenant,
            **fields,
        )
        for n in (next(_serial) for _ in range(count))
    )


def stripe_events(count: int, *, tenant: Tenant | None, **fields: object) -> list[StripeEvent]:
    return StripeEvent.objects.bulk_create(
        stripe_event(event_id=f"evt_bulk{n}", object_id=f"in_bulk{n}", tenant=tenant, **fields)
        for n in (next(_serial) for _ in range(count))
    )


def audit_events(count: int, *, tenant: Tenant | None) -> list[AuditEvent]:
    return AuditEvent.objects.bulk_create(
        AuditEvent(
            action=AuditAction.DATA_EXPORT,
            actor_kind=ActorKind.STAFF,
            actor_email="someone@peepers.test",
            tenant=tenant,
            tenant_schema=tenant.schema_name if tenant else "",
        )
        for _ in range(count)
    )


def ml_connections(count: int, *, tenant: Tenant) -> list[MLConnection]:
    return MLConnection.objects.bulk_create(
        MLConnection(ml_user_id=800_000_000 + n, tenant=tenant, connected_at=timezone.now())
        for n in (next(_serial) for _ in range(count))
    )


def incidents(count: int) -> list[Incident]:
    now = timezone.now()
    return Incident.objects.bulk_create(
        Incident(
            key=f"bulk-{n}",
            title=f"Bulk incident {n}",
            priority="P2",
            triggered_at=now - timedelta(minutes=n % 50),
            last_seen_at=now,
        )
        for n in (next(_serial) for _ in range(count))
    )


def runbook_runs(count: int) -> list[RunbookRun]:
    made = incidents(count)
    return RunbookRun.objects.bulk_create(
        RunbookRun(
            runbook="webhook_backlog",
            action="diagnose",
            started_by="staff@peepers.test",
            started_at=timezone.now(),
            incident=incident,
        )
        for incident in made
    )


def incident_notifications(count: int) -> list[Notification]:
    made = incidents(count)
    return Notification.objects.bulk_create(
        Notification(
            incident=incident,
            reason="triggered",
            channel="json://localhost/",
            channel_hash="x" * 64,
            title=incident.title,
            body="",
            created_at=timezone.now(),
        )
        for incident in made
    )


def subject_requests(count: int, *, tenant: Tenant) -> list[DataSubjectRequest]:
    now = timezone.now()
    return DataSubjectRequest.objects.bulk_create(
        DataSubjectRequest(
            tenant=tenant,
            scope=RequestScope.SELLER_USER,
            kind=RequestKind.ACCESS,
            subject_email=f"subject{n}@example.com",
            channel="e-mail",
            received_at=now,
            due_at=now + timedelta(days=n % 15),
        )
        for n in (next(_serial) for _ in range(count))
    )


def invoices(count: int, *, tenant: Tenant) -> list[InvoiceRecord]:
    now = timezone.now()
    return InvoiceRecord.objects.bulk_create(
        InvoiceRecord(
            tenant=tenant,
            stripe_invoice_id=f"in_bulkrec{n}",
            status="paid",
            total=9900,
            amount_paid=9900,
            stripe_created=now,
            synced_at=now,
        )
        for n in (next(_serial) for _ in range(count))
    )
