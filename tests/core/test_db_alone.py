"""committed_alone: writes that outlive the caller's transaction; advisory_lock: one holder."""

import threading

import pytest
from django.db import connection, connections, transaction
from django_tenants.utils import tenant_context

from core.db.alone import committed_alone, in_caller_transaction
from core.db.locks import advisory_lock, transaction_lock
from tenants.models import Tenant
from users.models import User

pytestmark = pytest.mark.usefixtures("committed_db")


def rename(email, name):
    return User.objects.filter(email=email).update(full_name=name)


def test_a_write_committed_alone_survives_the_callers_rollback_in_the_callers_schema():
    tenant = Tenant.objects.get(schema_name="tenant-a")
    email = "owner@a.example.com"

    def service():
        with tenant_context(tenant), transaction.atomic():
            assert in_caller_transaction()
            assert committed_alone(lambda: rename(email, "Kept")) == 1
            rename(email, "Rolled back")
            raise RuntimeError("the service failed afterwards")

    with pytest.raises(RuntimeError):
        service()

    with tenant_context(tenant):
        assert User.objects.get(email=email).full_name == "Kept"


def test_outside_a_transaction_the_work_runs_on_the_callers_connection():
    tenant = Tenant.objects.get(schema_name="tenant-a")
    with tenant_context(tenant):
        assert not in_caller_transaction()
        assert committed_alone(lambda: id(connection.connection)) == id(connection.connection)


def test_an_error_of_the_work_reaches_the_caller():
    def fails():
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"), transaction.atomic():
        committed_alone(fails)


def test_an_advisory_lock_has_one_holder_and_is_released():
    held_elsewhere = threading.Event()
    release = threading.Event()

    def holder():
        try:
            with advisory_lock("test:one-holder", wait_seconds=1) as held:
                assert held
                held_elsewhere.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    assert held_elsewhere.wait(10)
    with advisory_lock("test:one-holder", wait_seconds=0.2) as held:
        assert not held
    release.set()
    thread.join(10)
    with advisory_lock("test:one-holder", wait_seconds=1) as held:
        assert held


def test_a_transaction_lock_holds_until_the_transaction_ends():
    taken = threading.Event()
    finish = threading.Event()

    def holder():
        try:
            with transaction.atomic():
                transaction_lock("test:until-commit")
                taken.set()
                finish.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    assert taken.wait(10)
    with advisory_lock("test:until-commit", wait_seconds=0.2) as held:
        assert not held  # the same name: held by the other transaction
    finish.set()
    thread.join(10)
    with advisory_lock("test:until-commit", wait_seconds=1) as held:
        assert held


def test_a_transaction_lock_needs_a_transaction():
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        transaction_lock("test:no-transaction")
