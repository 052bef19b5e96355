"""The signup hand-off token: good once, for its own store, within its lifetime."""

import time

import pytest
from django.core import signing
from django.test import override_settings
from django_tenants.utils import tenant_context

from tenants.errors import HandoffTokenInvalid, HandoffUserUnavailable
from tenants.handoff import handoff_token_consume, handoff_token_make
from tests.support.clients import owner_of
from users.models import User

pytestmark = pytest.mark.django_db


def test_a_token_names_its_user_and_works_once(tenant_a):
    owner = owner_of(tenant_a)
    token = handoff_token_make(tenant=tenant_a, user=owner)

    assert handoff_token_consume(token=token, tenant=tenant_a) == owner
    with pytest.raises(HandoffTokenInvalid):
        handoff_token_consume(token=token, tenant=tenant_a)


def test_another_stores_token_is_refused(tenant_a, tenant_b):
    token = handoff_token_make(tenant=tenant_a, user=owner_of(tenant_a))

    with pytest.raises(HandoffTokenInvalid):
        handoff_token_consume(token=token, tenant=tenant_b)
    # Refused elsewhere without being spent: it still works on its own store.
    assert handoff_token_consume(token=token, tenant=tenant_a) == owner_of(tenant_a)


def made_ago(seconds, monkeypatch, **made):
    """A token made ``seconds`` ago: signed with the timestamp Django's signer would have
    written then (the same token as waiting ``seconds`` after making it, without the wait)."""
    with monkeypatch.context() as patched:
        patched.setattr(
            signing.TimestampSigner,
            "timestamp",
            lambda _signer: signing.b62_encode(int(time.time() - seconds)),
        )
        return handoff_token_make(**made)


@override_settings(PEEPERS_SIGNUP_HANDOFF_MAX_AGE=1)
def test_an_expired_token_is_refused(tenant_a, monkeypatch):
    token = made_ago(2.1, monkeypatch, tenant=tenant_a, user=owner_of(tenant_a))

    with pytest.raises(HandoffTokenInvalid):
        handoff_token_consume(token=token, tenant=tenant_a)


@override_settings(PEEPERS_SIGNUP_HANDOFF_MAX_AGE=60)
def test_a_token_within_its_lifetime_is_accepted_after_a_wait(tenant_a, monkeypatch):
    token = made_ago(2.1, monkeypatch, tenant=tenant_a, user=owner_of(tenant_a))

    assert handoff_token_consume(token=token, tenant=tenant_a) == owner_of(tenant_a)


def test_a_tampered_token_is_refused(tenant_a):
    token = handoff_token_make(tenant=tenant_a, user=owner_of(tenant_a))

    with pytest.raises(HandoffTokenInvalid):
        handoff_token_consume(
            token=token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), tenant=tenant_a
        )


def test_a_token_signed_for_something_else_is_refused(tenant_a):
    token = signing.dumps(
        {"user": owner_of(tenant_a).pk, "tenant": str(tenant_a.public_id), "nonce": "n"},
        salt="peepers.integrations.ml-connect",
    )

    with pytest.raises(HandoffTokenInvalid):
        handoff_token_consume(token=token, tenant=tenant_a)


def test_a_token_for_a_deactivated_user_is_refused(tenant_a):
    owner = owner_of(tenant_a)
    token = handoff_token_make(tenant=tenant_a, user=owner)
    with tenant_context(tenant_a):
        User.objects.filter(pk=owner.pk).update(is_active=False)

    with pytest.raises(HandoffUserUnavailable):
        handoff_token_consume(token=token, tenant=tenant_a)
