"""Encryption at rest of backup files: AES-256-GCM in 1 MiB chunks, bounded memory.

Why not Fernet (core/crypto.py)? A Fernet token is one message held in memory and base64'd
(+33 %), so a dump of gigabytes would not fit. Chunked AES-GCM authenticates every chunk; the
chunk counter and a "last chunk" flag are bound in as associated data, so reordering, dropping
or truncating chunks fails the tag just like flipping a bit. The AES key is derived (HKDF-SHA256)
from a FIELD_ENCRYPTION_KEYS entry; the header names which one by a fingerprint, so rotating the
keys keeps older archives readable while their key stays listed.

File layout: MAGIC | key fingerprint (8) | nonce prefix (8) | chunks, each
``length (4, big-endian) | last flag (1) | ciphertext+tag``.
Nonce = prefix (random per file) | counter (4).
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from collections.abc import Iterator
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from operations.backups.errors import ArchiveCorrupted, ArchiveKeyMissing

MAGIC = b"PEEPBK1\n"
CHUNK_SIZE = 1024 * 1024
_TAG = 16
_HEADER = len(MAGIC) + 8 + 8


def _derive(fernet_key: str) -> tuple[bytes, bytes]:
    raw = base64.urlsafe_b64decode(fernet_key)
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"peepers-backup-archive-v1"
    ).derive(raw)
    return key, hashlib.sha256(key).digest()[:8]


def _keys() -> list[tuple[bytes, bytes]]:
    return [_derive(k) for k in settings.FIELD_ENCRYPTION_KEYS]


def _aad(header: bytes, counter: int, last: bool) -> bytes:
    return header + struct.pack(">IB", counter, int(last))


class ArchiveWriter:
    """Encrypts what is written to it into ``out``; ``close()`` writes the final chunk."""

    def __init__(self, out: IO[bytes]) -> None:
        keys = _keys()
        if not keys:
            raise ArchiveKeyMissing("FIELD_ENCRYPTION_KEYS is empty")
        key, fingerprint = keys[0]
        self._aes = AESGCM(key)
        self._prefix = os.urandom(8)
        self._header = MAGIC + fingerprint + self._prefix
        self._out = out
        self._buffer = bytearray()
        self._counter = 0
        self.sha256 = hashlib.sha256()
        out.write(self._header)
        self.sha256.update(self._header)

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) > CHUNK_SIZE:
            self._emit(bytes(self._buffer[:CHUNK_SIZE]), last=False)
            del self._buffer[:CHUNK_SIZE]

    def close(self) -> None:
        self._emit(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _emit(self, plain: bytes, *, last: bool) -> None:
        nonce = self._prefix + struct.pack(">I", self._counter)
        sealed = self._aes.encrypt(nonce, plain, _aad(self._header, self._counter, last))
        record = struct.pack(">IB", len(sealed), int(last)) + sealed
        self._out.write(record)
        self.sha256.update(record)
        self._counter += 1


def archive_decrypt(source: IO[bytes]) -> Iterator[bytes]:
    """Yield the plain chunks of an archive; raises ArchiveCorrupted on any tampering."""
    header = source.read(_HEADER)
    if len(header) != _HEADER or not header.startswith(MAGIC):
        raise ArchiveCorrupted("not a Peepers backup archive (bad header)")
    fingerprint, prefix = header[len(MAGIC) : len(MAGIC) + 8], header[len(MAGIC) + 8 :]
    key = next((k for k, f in _keys() if f == fingerprint), None)
    if key is None:
        raise ArchiveKeyMissing("the archive's key is not among FIELD_ENCRYPTION_KEYS")
    aes = AESGCM(key)
    counter = 0
    while True:
        record_head = source.read(5)
        if len(record_head) != 5:
            raise ArchiveCorrupted("archive truncated: no final chunk")
        size, last = struct.unpack(">IB", record_head)
        if size < _TAG or size > CHUNK_SIZE + _TAG or last not in (0, 1):
            raise ArchiveCorrupted(f"chunk {counter} has an impossible header")
        sealed = source.read(size)
        if len(sealed) != size:
            raise ArchiveCorrupted(f"archive truncated in chunk {counter}")
        nonce = prefix + struct.pack(">I", counter)
        try:
            plain = aes.decrypt(nonce, sealed, _aad(header, counter, bool(last)))
        except InvalidTag as exc:
            raise ArchiveCorrupted(f"chunk {counter} fails its authentication tag") from exc
        yield plain
        if last:
            if source.read(1):
                raise ArchiveCorrupted("data after the final chunk")
            return
        counter += 1
