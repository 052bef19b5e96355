"""Who may manage a store: its active owners and admins, nobody else."""

import pytest
from django.contrib.auth.models import AnonymousUser

from users.models import Role, User
from users.policy import may_manage


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_an_owner_or_admin_may_manage(role):
    assert may_manage(user=User(email="boss@example.com", role=role, is_active=True))


def test_a_member_may_not_manage():
    assert not may_manage(user=User(email="m@example.com", role=Role.MEMBER, is_active=True))


def test_an_anonymous_visitor_may_not_manage():
    assert not may_manage(user=AnonymousUser())


def test_an_inactive_owner_may_not_manage():
    assert not may_manage(user=User(email="gone@example.com", role=Role.OWNER, is_active=False))
