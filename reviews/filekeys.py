"""Keyed hashes of file paths, so comments can be found by file without decrypting paths.

The hash key is derived from each encryption key (AES-GCM over a fixed message with a fixed,
otherwise unused nonce acts as a PRF), so no extra secret is needed and rotation keeps working:
new comments are keyed with the current key, lookups try every key on the ring.
"""

from __future__ import annotations

import hashlib
import hmac

from models.crypto import Key, get_keyring

_DERIVE_NONCE = b"\x00" * 12
_DERIVE_MESSAGE = b"vetted review_comments.file_key v1"
_cache: dict[int, bytes] = {}


def _hmac_key(key: Key) -> bytes:
    cached = _cache.get(id(key))
    if cached is None:
        cached = key.aead.encrypt(_DERIVE_NONCE, _DERIVE_MESSAGE, b"file_key")[-32:]
        _cache[id(key)] = cached
    return cached


def _digest(key: Key, submission_id: int, path: str) -> str:
    message = f"{submission_id}\x00{path}".encode()
    return hmac.new(_hmac_key(key), message, hashlib.sha256).hexdigest()


def file_key(submission_id: int, path: str) -> str:
    """The key new comments on ``path`` of this ticket are stored under."""
    return _digest(get_keyring().current, submission_id, path)


def file_keys(submission_id: int, path: str) -> list[str]:
    """Every key a comment on ``path`` may carry (one per encryption key on the ring)."""
    ring = get_keyring()
    return [_digest(ring.key(kid), submission_id, path) for kid in ring.key_ids]
