"""A revocation racing a marketing e-mail: whichever takes the user's lock first wins."""

import threading

from django.core import mail
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from compliance.consent.models import ConsentChannel
from compliance.consent.selectors import consent_current
from compliance.consent.services import consent_grant, consent_revoke, marketing_email_send
from tenants.models import Tenant
from tests.support.clients import owner_of
from tests.support.waiting import wait_until

MARKETING = "marketing_email"


def lock_waiters() -> int:
    # pg_locks is live; pg_stat_activity would be a snapshot frozen for this transaction.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_catalog.pg_locks WHERE NOT granted")
        return int(cursor.fetchone()[0])


def wait_for_a_lock_waiter(timeout: float = 10.0) -> None:
    wait_until(
        lambda: lock_waiters() > 0,
        timeout=timeout,
        every=0.02,
        message="the other side never waited for the lock",
    )


def run_race(tenant, *, first, second):
    """``first`` runs inside a transaction that stays open until ``second`` waits on the lock."""
    errors: list[BaseException] = []
    results: dict[str, object] = {}
    holding = threading.Event()

    def first_side() -> None:
        try:
            with tenant_context(tenant), transaction.atomic():
                results["first"] = first()
                holding.set()
                wait_for_a_lock_waiter()
        except BaseException as exc:
            errors.append(exc)
            holding.set()
        finally:
            connection.close()

    def second_side() -> None:
        try:
            holding.wait(10)
            with tenant_context(tenant):
                results["second"] = second()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_side), threading.Thread(target=second_side)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return results


def granted_owner(tenant):
    with tenant_context(tenant):
        owner = owner_of(tenant)
        consent_grant(user=owner, purpose=MARKETING, channel=ConsentChannel.SIGNUP)
    return owner


def test_a_revocation_that_commits_first_stops_the_send(committed_db):
    tenant = Tenant.objects.get(schema_name="tenant-a")
    owner = granted_owner(tenant)
    mail.outbox = []

    results = run_race(
        tenant,
        first=lambda: consent_revoke(
            user=owner, purpose=MARKETING, channel=ConsentChannel.EMAIL_LINK
        ),
        second=lambda: marketing_email_send(user=owner, subject="Oferta", body="Oi"),
    )

    assert results["second"] is False
    assert mail.outbox == []


def test_a_send_under_way_finishes_before_the_revocation(committed_db):
    tenant = Tenant.objects.get(schema_name="tenant-a")
    owner = granted_owner(tenant)
    mail.outbox = []

    results = run_race(
        tenant,
        first=lambda: marketing_email_send(user=owner, subject="Oferta", body="Oi"),
        second=lambda: consent_revoke(
            user=owner, purpose=MARKETING, channel=ConsentChannel.EMAIL_LINK
        ),
    )

    assert results["first"] is True
    assert len(mail.outbox) == 1
    assert results["second"].changed
    with tenant_context(tenant):
        assert not consent_current(user=owner, purpose=MARKETING)
