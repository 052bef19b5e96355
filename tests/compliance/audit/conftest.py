"""Audit-log test setup: a staff client on the public host and the audit middleware installed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from core.redis import redis_client
from tests.factories.users import STAFF_EMAIL, STAFF_PASSWORD, staff_create
from users.models import User

AUDIT_MIDDLEWARE = "compliance.audit.middleware.StaffTenantAccessMiddleware"


@pytest.fixture(autouse=True)
def _audit_middleware(settings) -> None:
    """The audit middleware right after authentication, as docs/compliance-audit.md asks."""
    middleware = [m for m in settings.MIDDLEWARE if m != AUDIT_MIDDLEWARE]
    at = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
    settings.MIDDLEWARE = [*middleware[:at], AUDIT_MIDDLEWARE, *middleware[at:]]


@pytest.fixture(autouse=True)
def _no_staff_access_dedup() -> Iterator[None]:
    """The hourly dedup keys live in Redis, which test transactions do not roll back."""
    yield
    client = redis_client()
    for key in client.scan_iter("audit:staff-access:*"):
        client.delete(key)


@pytest.fixture
def staff(db: None) -> User:
    return staff_create()


def admin_login(client: Client, email: str = STAFF_EMAIL, password: str = STAFF_PASSWORD) -> int:
    """Log in through the admin's login form (a real request, so with an address); the status."""
    response = client.post("/admin/login/?next=/admin/", {"username": email, "password": password})
    return response.status_code


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR="198.51.100.7")
    assert admin_login(client) == 302
    return client
