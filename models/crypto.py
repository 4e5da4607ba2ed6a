"""Encryption at rest for code- and comment-bearing columns (and, through intake, files).

Values are sealed with AES-256-GCM. Each sealed value carries the id of the key that sealed it,
so keys can be rotated: the newest key seals, any listed key opens, and ``rotate`` re-seals old
values so retired keys can be dropped. The column label is bound in as associated data, so a
ciphertext copied into another column does not open there.

Large, repetitive values (webhook payloads) may be compressed with zstd before sealing: a sealed
value's first byte says which, and is bound in as associated data so it cannot be flipped.
Compression is opt-in per column because compressing attacker-influenced text next to a secret
leaks through length (CRIME); payloads hold no secrets, and storing 28 kB of ciphertext instead
of 3 kB made each webhook's PostgreSQL write (and its WAL) twice as dear.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import zstandard
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = 1  # the plaintext, sealed
FORMAT_COMPRESSED = 2  # the plaintext compressed (zstd), then sealed
FORMATS = frozenset({FORMAT_VERSION, FORMAT_COMPRESSED})
NONCE_BYTES = 12
# Below this, compression's own overhead outweighs what it saves.
COMPRESS_FROM_BYTES = 512
# zstd level 1: a 28 kB pull_request payload becomes 3.2 kB in ~25 us, where zlib needed ~100 us
# for 3.7 kB. Compressor contexts are costly to build and not thread-safe: one per thread.
_ZSTD = threading.local()


def _compress(data: bytes) -> bytes:
    if not hasattr(_ZSTD, "compressor"):
        _ZSTD.compressor = zstandard.ZstdCompressor(level=1)
    return _ZSTD.compressor.compress(data)


def _decompress(data: bytes) -> bytes:
    if not hasattr(_ZSTD, "decompressor"):
        _ZSTD.decompressor = zstandard.ZstdDecompressor()
    return _ZSTD.decompressor.decompress(data)


class KeyringError(ValueError):
    """The configured keys are unusable, or a value was sealed with an unknown key."""


def generate_key() -> str:
    """A fresh 256-bit key, base64url encoded, as ``ENCRYPTION_KEYS`` expects it."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def _decode_key(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded)
    except (ValueError, TypeError) as exc:
        raise KeyringError("ENCRYPTION_KEYS holds a key that is not base64") from exc
    if len(raw) != 32:
        raise KeyringError("ENCRYPTION_KEYS keys must be 32 bytes (256 bits)")
    return raw


@dataclass(frozen=True)
class Key:
    kid: str
    aead: AESGCM


class Keyring:
    """The ordered set of keys: the first seals, all open."""

    def __init__(self, keys: Iterable[tuple[str, bytes]]):
        self._keys: dict[str, Key] = {}
        self._order: list[str] = []
        for kid, raw in keys:
            if not kid or len(kid.encode()) > 32 or ":" in kid:
                raise KeyringError(f"Invalid key id {kid!r} in ENCRYPTION_KEYS")
            if kid in self._keys:
                raise KeyringError(f"Duplicate key id {kid!r} in ENCRYPTION_KEYS")
            self._keys[kid] = Key(kid, AESGCM(raw))
            self._order.append(kid)
        if not self._order:
            raise KeyringError("ENCRYPTION_KEYS is empty")

    @classmethod
    def from_setting(cls, value: str) -> Keyring:
        """Parse ``kid:key,kid:key`` (newest first)."""
        pairs = []
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            kid, sep, key = item.partition(":")
            if not sep:
                raise KeyringError("ENCRYPTION_KEYS entries must look like 'kid:base64key'")
            pairs.append((kid.strip(), _decode_key(key.strip())))
        return cls(pairs)

    @property
    def current(self) -> Key:
        return self._keys[self._order[0]]

    @property
    def key_ids(self) -> list[str]:
        return list(self._order)

    def key(self, kid: str) -> Key:
        try:
            return self._keys[kid]
        except KeyError:
            raise KeyringError(f"Value sealed with unknown key {kid!r}") from None

    def seal(self, plaintext: bytes, label: str, compress: bool = False) -> bytes:
        """Seal with the current key; compress first when asked and when it pays."""
        form = FORMAT_VERSION
        if compress and len(plaintext) >= COMPRESS_FROM_BYTES:
            packed = _compress(plaintext)
            if len(packed) < len(plaintext):
                form, plaintext = FORMAT_COMPRESSED, packed
        key = self.current
        nonce = os.urandom(NONCE_BYTES)
        kid = key.kid.encode()
        header = bytes([form, len(kid)]) + kid
        return header + nonce + key.aead.encrypt(nonce, plaintext, header + label.encode())

    @staticmethod
    def key_id_of(sealed: bytes) -> str:
        if len(sealed) < 2 or sealed[0] not in FORMATS:
            raise KeyringError("Not a sealed value")
        return sealed[2 : 2 + sealed[1]].decode()

    @staticmethod
    def is_compressed(sealed: bytes) -> bool:
        return len(sealed) > 0 and sealed[0] == FORMAT_COMPRESSED

    def open(self, sealed: bytes, label: str) -> bytes:
        kid = self.key_id_of(sealed)
        header_len = 2 + sealed[1]
        header = sealed[:header_len]
        nonce = sealed[header_len : header_len + NONCE_BYTES]
        body = sealed[header_len + NONCE_BYTES :]
        plaintext = self.key(kid).aead.decrypt(nonce, body, header + label.encode())
        return _decompress(plaintext) if sealed[0] == FORMAT_COMPRESSED else plaintext

    def reseal(self, sealed: bytes, label: str) -> bytes:
        """The same value under the current key, keeping its compression (for rotation)."""
        return self.seal(self.open(sealed, label), label, compress=self.is_compressed(sealed))

    def needs_rotation(self, sealed: bytes) -> bool:
        return self.key_id_of(sealed) != self.current.kid


_keyring: Keyring | None = None


def configure_keyring(keyring: Keyring) -> None:
    """Install the process-wide keyring (done once by the app factory or the worker)."""
    global _keyring
    _keyring = keyring


def get_keyring() -> Keyring:
    if _keyring is None:
        raise KeyringError("No encryption keys configured (call configure_keyring first)")
    return _keyring
