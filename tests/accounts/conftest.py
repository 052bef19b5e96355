"""Accounts test setup: store users, logins through the real forms, TOTP codes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.models import Tenant
from tests.factories.users import store_user_create
from tests.support.clients import store_client
from users.models import Role, User

PASSWORD = "another-long-test-password-7"


def user_create(tenant: Tenant, email: str, *, role: str = Role.MEMBER) -> User:
    return store_user_create(tenant, email, PASSWORD, role=role)


def login(client: Client, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/login/", {"username": email, "password": password}, **extra)


def logged_in(tenant: Tenant, email: str, password: str = PASSWORD) -> Client:
    client = store_client(tenant)
    response = login(client, email, password)
    assert response.status_code == 302, response.content
    return client


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the user's app shows now (or ``steps_ahead`` 30-second steps later)."""
    code = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + steps_ahead,
    )
    return f"{code:0{device.digits}d}"


@pytest.fixture
def no_code_backoff(settings) -> None:
    """django-otp backs off after a wrong code; tests that then enter the right one at once
    turn it off."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    """Pages in the source language, so assertions read the msgids whatever the catalogue."""
    settings.LANGUAGE_CODE = "en"


def reset_link(message) -> str:
    """The password-reset link in ``message``."""
    match = re.search(r"https?://(\S+?)(/reset/\S+/)", message.body)
    assert match, message.body
    return match.group(0)
