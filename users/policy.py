"""Who may do what in a store, by role: one rule, asked by every feature that needs it."""

from __future__ import annotations

from users.models import Role, User

MANAGERS = frozenset({Role.OWNER, Role.ADMIN})


def may_manage(*, user: object) -> bool:
    """Whether ``user`` may manage the store (its billing, Mercado Livre connection, team,
    profile and everyone's privacy requests): an active owner or admin; never an anonymous
    visitor."""
    return isinstance(user, User) and user.is_active and user.role in MANAGERS
