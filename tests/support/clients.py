"""Test clients aimed at a store's host."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import tenant_context

from tenants.models import Tenant
from tests.factories.users import STAFF_EMAIL, STAFF_PASSWORD, staff_create
from tests.support.db import OWNER_PASSWORD
from users.models import User


def store_client(tenant: Tenant, *, login: bool = False) -> Client:
    """A test client whose requests go to ``tenant``'s host, optionally logged in as its owner."""
    client = Client(HTTP_HOST=tenant.get_primary_domain().domain)
    if login:
        response = client.post(
            "/login/", {"username": tenant.owner_email, "password": OWNER_PASSWORD}
        )
        assert response.status_code == 302, response.content
    return client


def owner_of(tenant: Tenant) -> User:
    with tenant_context(tenant):
        return User.objects.get(email=tenant.owner_email)


def staff_client() -> Client:
    """A test client on the public host, logged in to admin as a new superuser."""
    staff_create()
    client = Client(HTTP_HOST="localhost")
    assert client.login(username=STAFF_EMAIL, password=STAFF_PASSWORD)
    return client
