"""Encryption of secrets at rest (ML tokens): MultiFernet over ``FIELD_ENCRYPTION_KEYS``.

The first key encrypts; every key decrypts, so keys rotate by putting a new one first, running
``rotate_ml_keys`` (re-encrypts under the first key), then dropping the old one.
"""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionFailed(Exception):
    """No configured key decrypts the value (a key was dropped too early, or data is corrupt)."""


@functools.cache
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    if not keys:
        raise DecryptionFailed("FIELD_ENCRYPTION_KEYS is empty")
    fernets = [Fernet(key.encode()) for key in keys]
    return MultiFernet(fernets), fernets[0]


def _keys() -> tuple[MultiFernet, Fernet]:
    return _fernets(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return _keys()[0].encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _keys()[0].decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("no FIELD_ENCRYPTION_KEYS key decrypts this value") from exc


def is_current(token: str) -> bool:
    """True when the newest key (the first) encrypted ``token``."""
    try:
        _keys()[1].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """``token`` re-encrypted under the newest key."""
    try:
        return _keys()[0].rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("no FIELD_ENCRYPTION_KEYS key decrypts this value") from exc
