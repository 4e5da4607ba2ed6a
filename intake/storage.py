"""Encrypted blob storage: every file of submitted code lives here, sealed, under a random name.

Format (one file per blob)::

    header  = b"VTB" + version(1) + len(kid)(1) + kid + blob name (32 hex)
    chunk*  = len(ciphertext)(4, big endian) + nonce(12) + AES-256-GCM(chunk plaintext)

Each chunk has its own random nonce, and its associated data is the header plus the chunk's
index and a final-chunk flag: chunks cannot be reordered, dropped, truncated or moved to another
blob (the name is in the header) without failing authentication. The key id in the header lets
keys rotate: the newest key seals, any configured key opens, ``rotate_blobs`` re-seals.
Blobs are written to a temporary file and renamed, so a reader never sees half a blob.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import shutil
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag

from models.crypto import Keyring, get_keyring
from models.rotation import ROTATION_HOOKS

MAGIC = b"VTB"
VERSION = 1
CHUNK_BYTES = 1024 * 1024
NONCE_BYTES = 12
NAME_RE = re.compile(r"^[0-9a-f]{32}$")
_LEN = struct.Struct(">I")
_AD = struct.Struct(">QB")


class BlobError(ValueError):
    """The blob is missing, tampered with, truncated, or its key is no longer configured."""


def _root(root: Path | None = None) -> Path:
    if root is not None:
        return Path(root)
    from settings import current_settings

    return Path(current_settings().storage_dir)


def blob_dir(root: Path | None = None) -> Path:
    return _root(root) / "blobs"


def blob_path(key: str, root: Path | None = None) -> Path:
    """Where a blob lives; refuses anything that is not one of our random names."""
    if not isinstance(key, str) or not NAME_RE.match(key):
        raise BlobError("Not a blob key")
    return blob_dir(root) / key[:2] / key


def _header(kid: str, name: str) -> bytes:
    raw = kid.encode()
    return MAGIC + bytes([VERSION, len(raw)]) + raw + name.encode()


def _chunks(fileobj: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """Yield (chunk, is_final), reading one chunk ahead so the last one is known."""
    current = fileobj.read(CHUNK_BYTES)
    while True:
        following = fileobj.read(CHUNK_BYTES)
        yield current, not following
        if not following:
            return
        current = following


def _seal_into(fileobj: BinaryIO, out: BinaryIO, keyring: Keyring, name: str) -> int:
    key = keyring.current
    header = _header(key.kid, name)
    out.write(header)
    size = 0
    for index, (chunk, final) in enumerate(_chunks(fileobj)):
        nonce = os.urandom(NONCE_BYTES)
        sealed = key.aead.encrypt(nonce, chunk, header + _AD.pack(index, final))
        out.write(_LEN.pack(len(sealed)) + nonce + sealed)
        size += len(chunk)
    return size


def _write_blob(fileobj: BinaryIO, name: str, root: Path | None, keyring: Keyring) -> None:
    target = blob_path(name, root)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            _seal_into(fileobj, out, keyring, name)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class SealWriter:
    """Seal bytes as they come (for bodies that arrive in pieces, like resumable uploads).

    Writes ``path`` in the blob format under ``name``. ``close()`` seals what is buffered as
    the final chunk, so whatever arrived before a dropped connection is still a whole blob.
    """

    def __init__(self, path: Path, name: str, keyring: Keyring | None = None):
        if not NAME_RE.match(name):
            raise BlobError("Not a blob name")
        key = (keyring or get_keyring()).current
        self._aead = key.aead
        self._header = _header(key.kid, name)
        self._out = open(path, "xb")  # noqa: SIM115 - closed in close()/abort()
        self._out.write(self._header)
        self._buffer = bytearray()
        self._index = 0
        self.size = 0

    def _seal(self, chunk: bytes, final: bool) -> None:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, chunk, self._header + _AD.pack(self._index, final))
        self._out.write(_LEN.pack(len(sealed)) + nonce + sealed)
        self._index += 1

    def write(self, data: bytes) -> None:
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) > CHUNK_BYTES:  # keep one chunk back: it may be the last
            self._seal(bytes(self._buffer[:CHUNK_BYTES]), False)
            del self._buffer[:CHUNK_BYTES]

    def close(self) -> None:
        self._seal(bytes(self._buffer), True)
        self._buffer.clear()
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()

    def abort(self) -> None:
        self._out.close()


def open_sealed(path: Path, name: str) -> BinaryIO:
    """Open a file in the blob format that lives outside the blob store (upload segments)."""
    return io.BufferedReader(_BlobReader(Path(path), name, get_keyring()), CHUNK_BYTES)  # type: ignore[return-value]


def store_stream(fileobj: BinaryIO, *, root: Path | None = None) -> str:
    """Encrypt everything ``fileobj`` yields into a new blob; returns the blob's key."""
    name = secrets.token_hex(16)
    _write_blob(fileobj, name, root, get_keyring())
    return name


def store_path(path: Path | str, *, root: Path | None = None) -> str:
    with open(path, "rb") as fileobj:
        return store_stream(fileobj, root=root)


def store_bytes(data: bytes, *, root: Path | None = None) -> str:
    return store_stream(io.BytesIO(data), root=root)


class _BlobReader(io.RawIOBase):
    """Decrypts chunk by chunk; authentication failure or a missing final chunk raise."""

    def __init__(self, path: Path, name: str, keyring: Keyring):
        super().__init__()
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        try:
            head = self._file.read(5)
            if len(head) != 5 or head[:3] != MAGIC or head[3] != VERSION:
                raise BlobError("Not a blob")
            kid = self._file.read(head[4]).decode()
            stored_name = self._file.read(32).decode()
            if stored_name != name:
                raise BlobError("Blob does not belong under this name")
            self.kid = kid
            self._header = _header(kid, name)
            self._aead = keyring.key(kid).aead
        except Exception:
            self._file.close()
            raise
        self._index = 0
        self._buffer = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        raw_len = self._file.read(_LEN.size)
        if len(raw_len) < _LEN.size:
            raise BlobError("Blob is truncated")
        (length,) = _LEN.unpack(raw_len)
        nonce = self._file.read(NONCE_BYTES)
        sealed = self._file.read(length)
        if len(nonce) < NONCE_BYTES or len(sealed) < length:
            raise BlobError("Blob is truncated")
        for final in (False, True):
            try:
                plain = self._aead.decrypt(
                    nonce, sealed, self._header + _AD.pack(self._index, final)
                )
            except InvalidTag:
                continue
            self._index += 1
            self._buffer = plain
            if final:
                if self._file.read(1):
                    raise BlobError("Blob has data after its final chunk")
                self._done = True
            return
        raise BlobError("Blob failed authentication")

    def readinto(self, target) -> int:  # type: ignore[no-untyped-def]
        while not self._buffer and not self._done:
            self._next_chunk()
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def open_blob(key: str, *, root: Path | None = None) -> BinaryIO:
    """A readable, decrypting file object; raises ``FileNotFoundError`` for an unknown key."""
    path = blob_path(key, root)
    if not path.is_file():
        raise FileNotFoundError(key)
    return io.BufferedReader(_BlobReader(path, key, get_keyring()), CHUNK_BYTES)  # type: ignore[return-value]


def read_blob(key: str, *, root: Path | None = None) -> bytes:
    with open_blob(key, root=root) as fileobj:
        return fileobj.read()


def copy_blob_to(key: str, dest: Path, *, root: Path | None = None) -> None:
    with open_blob(key, root=root) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out, CHUNK_BYTES)


def delete_blob(key: str, *, root: Path | None = None) -> bool:
    """Remove a blob; returns whether it existed (deleting twice is not an error)."""
    try:
        blob_path(key, root).unlink()
        return True
    except FileNotFoundError:
        return False


def blob_key_id(key: str, *, root: Path | None = None) -> str:
    with open(blob_path(key, root), "rb") as fileobj:
        head = fileobj.read(5)
        return fileobj.read(head[4]).decode()


def iter_blob_keys(root: Path | None = None) -> Iterator[str]:
    base = blob_dir(root)
    if not base.is_dir():
        return
    for sub in sorted(base.iterdir()):
        if sub.is_dir():
            for path in sorted(sub.iterdir()):
                if NAME_RE.match(path.name):
                    yield path.name


def rotate_blobs(keyring: Keyring, root: Path | None = None) -> int:
    """Re-seal every blob not sealed with the current key (same name). Returns how many."""
    count = 0
    for key in iter_blob_keys(root):
        if blob_key_id(key, root=root) == keyring.current.kid:
            continue
        path = blob_path(key, root)
        reader = io.BufferedReader(_BlobReader(path, key, keyring), CHUNK_BYTES)
        with reader:
            _write_blob(reader, key, root, keyring)  # type: ignore[arg-type]
        count += 1
    return count


if rotate_blobs not in ROTATION_HOOKS:
    ROTATION_HOOKS.append(rotate_blobs)
