import base64
import secrets

import pytest

from core import crypto


def new_key():
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def test_round_trip_and_ciphertext_hides_the_value():
    token = crypto.encrypt("APP_USR-secret")
    assert "APP_USR" not in token
    assert crypto.decrypt(token) == "APP_USR-secret"


def test_old_keys_decrypt_and_rotation_moves_to_the_newest(settings):
    old, new = new_key(), new_key()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt("secret")
    settings.FIELD_ENCRYPTION_KEYS = [new, old]

    assert crypto.decrypt(token) == "secret"
    assert not crypto.is_current(token)
    rotated = crypto.rotate(token)
    assert crypto.is_current(rotated)
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(rotated) == "secret"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(token)
