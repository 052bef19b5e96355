"""How runbooks name a Mercado Livre account in their findings: the store, the ML user id and
the nickname, so a store holding several accounts says which one a line is about."""

from __future__ import annotations

from typing import Any


def account_entry(*, store: str, ml_user_id: int, nickname: str) -> dict[str, Any]:
    """The keys a finding's data names an account by."""
    return {"store": store, "ml_user_id": ml_user_id, "nickname": nickname}


def account_named(entry: dict[str, Any]) -> str:
    """``tenant-a: ML user 111 (LOJA_A)``; without a nickname, the id alone."""
    nickname = f" ({entry['nickname']})" if entry.get("nickname") else ""
    return f"{entry['store']}: ML user {entry['ml_user_id']}{nickname}"
