"""Resumable uploads (tus 1.0.0) as files on the shared storage directory.

Flask-free: ``web/uploads.py`` maps HTTP onto these functions. Each upload is a directory
``<storage>/uploads/<id>/`` holding ``info.json`` (length, metadata, owner, expiry) and
``segments/``: one encrypted segment per PATCH (the blob format of ``intake.storage``), named
``seg-<start>-<end>-<name>``. The offset is the end of the last contiguous segment, so any web
server sharing the directory answers the same, and no byte of code is on disk in the clear. A
PATCH holds an exclusive ``flock`` on the upload's lock file, so a second concurrent PATCH (from
any process on any server mounting the directory) is refused instead of interleaved.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from intake.storage import SealWriter, open_sealed
from models.base import utcnow
from settings import Settings

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,termination,checksum,expiration"
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
ID_RE = re.compile(r"^[0-9a-f]{32}$")
SEGMENT_RE = re.compile(r"^seg-(\d{16})-(\d{16})-([0-9a-f]{32})$")
BLOCK = 1024 * 1024


class TusError(Exception):
    """An HTTP status and a message for the client."""

    def __init__(self, status: int, message: str, code: str = "upload_error"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


@dataclass
class Upload:
    id: str
    length: int
    owner_id: int
    created_at: str
    expires_at: str
    metadata: dict[str, str] = field(default_factory=dict)
    offset: int = 0

    @property
    def filename(self) -> str:
        return os.path.basename(self.metadata.get("filename", "")) or "upload"

    @property
    def complete(self) -> bool:
        return self.offset == self.length

    @property
    def expires(self) -> datetime:
        return datetime.fromisoformat(self.expires_at)


def uploads_root(settings: Settings) -> Path:
    path = Path(settings.storage_dir) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _dir(settings: Settings, upload_id: str) -> Path:
    if not ID_RE.match(upload_id or ""):
        raise TusError(404, "Upload not found.", "not_found")
    return uploads_root(settings) / upload_id


def parse_metadata(header: str | None) -> dict[str, str]:
    """``key base64value,key2 base64value2`` → dict (values decoded as UTF-8)."""
    result: dict[str, str] = {}
    for pair in (header or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, value = pair.partition(" ")
        try:
            result[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise TusError(400, "Upload-Metadata is not valid base64.", "bad_metadata") from None
    return result


def _write_info(path: Path, upload: Upload) -> None:
    data = asdict(upload)
    data.pop("offset")
    tmp = path / f".info-{secrets.token_hex(4)}"
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path / "info.json")


def create(settings: Settings, owner_id: int, length: int, metadata: dict[str, str]) -> Upload:
    if length < 0:
        raise TusError(400, "Upload-Length must be a whole number of bytes.", "bad_length")
    if length > settings.max_upload_bytes:
        raise TusError(413, "File size exceeds limit", "too_large")
    now = utcnow()
    upload = Upload(
        id=secrets.token_hex(16),
        length=length,
        owner_id=owner_id,
        created_at=now.isoformat(),
        expires_at=(now + timedelta(seconds=settings.upload_expiry_seconds)).isoformat(),
        metadata={k: v[:255] for k, v in metadata.items()},
    )
    path = _dir(settings, upload.id)
    path.mkdir(mode=0o700)
    (path / "segments").mkdir(mode=0o700)
    (path / "lock").touch(mode=0o600)
    _write_info(path, upload)
    return upload


def load(settings: Settings, upload_id: str, owner_id: int | None = None) -> Upload:
    """The upload, or 404 (unknown, someone else's) / 410 (expired)."""
    path = _dir(settings, upload_id)
    try:
        data = json.loads((path / "info.json").read_text())
        offset = _offset(path)
    except (FileNotFoundError, ValueError):
        raise TusError(404, "Upload not found.", "not_found") from None
    upload = Upload(**data, offset=offset)
    if owner_id is not None and upload.owner_id != owner_id:
        raise TusError(404, "Upload not found.", "not_found")
    if upload.expires <= utcnow() and not upload.complete:
        raise TusError(410, "This upload has expired. Please upload the file again.", "expired")
    return upload


@contextlib.contextmanager
def locked(settings: Settings, upload_id: str) -> Iterator[None]:
    """Exclusive, non-blocking: a concurrent PATCH to the same upload is refused (423)."""
    path = _dir(settings, upload_id) / "lock"
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        raise TusError(404, "Upload not found.", "not_found") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TusError(
                423, "This upload is busy with another request. Try again shortly.", "locked"
            ) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def parse_checksum(header: str | None):  # type: ignore[no-untyped-def]
    """``Upload-Checksum: sha1 <base64>`` → (hash object, expected digest) or None."""
    if not header:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    factory = CHECKSUM_ALGORITHMS.get(algorithm.lower())
    if factory is None:
        raise TusError(400, "Unsupported checksum algorithm; use sha1 or sha256.", "bad_checksum")
    try:
        expected = base64.b64decode(encoded.strip(), validate=True)
    except ValueError:
        raise TusError(400, "Upload-Checksum is not valid base64.", "bad_checksum") from None
    return factory(), expected


def _segments(path: Path) -> list[tuple[int, int, str, Path]]:
    found = []
    for entry in (path / "segments").iterdir():
        match = SEGMENT_RE.match(entry.name)
        if match:
            found.append((int(match[1]), int(match[2]), match[3], entry))
    return sorted(found)


def _offset(path: Path) -> int:
    """End of the contiguous run of segments from 0 (a stray segment does not count)."""
    offset = 0
    for start, end, _name, _path in _segments(path):
        if start == offset:
            offset = end
    return offset


def _keep(path: Path, tmp: Path, name: str, writer: SealWriter, start: int) -> None:
    """Seal what arrived and give it its place; an empty body leaves nothing."""
    writer.close()
    if writer.size:
        final = f"seg-{start:016d}-{start + writer.size:016d}-{name}"
        os.replace(tmp, path / "segments" / final)
    else:
        tmp.unlink(missing_ok=True)


def _drop(tmp: Path, writer: SealWriter) -> None:
    writer.abort()
    tmp.unlink(missing_ok=True)


def append(
    settings: Settings,
    upload_id: str,
    owner_id: int,
    offset: int,
    stream: BinaryIO,
    checksum: str | None = None,
) -> Upload:
    """Append the body at ``offset`` as a new encrypted segment.

    A checksum mismatch discards the whole chunk (460). A dropped connection keeps what
    arrived, so the client resumes from there, unless it came with a checksum we could not
    verify.
    """
    verifier = parse_checksum(checksum)
    with locked(settings, upload_id):
        upload = load(settings, upload_id, owner_id)
        if offset != upload.offset:
            raise TusError(409, f"Upload-Offset must be {upload.offset}.", "offset_mismatch")
        path = _dir(settings, upload_id)
        name = secrets.token_hex(16)
        tmp = path / "segments" / f".part-{name}"
        writer = SealWriter(tmp, name)
        try:
            while block := stream.read(BLOCK):
                if upload.offset + writer.size + len(block) > upload.length:
                    raise TusError(413, "The body goes past Upload-Length.", "too_long")
                writer.write(block)
                if verifier is not None:
                    verifier[0].update(block)
            if verifier is not None and verifier[0].digest() != verifier[1]:
                raise TusError(460, "Checksum mismatch: the chunk was discarded.", "checksum")
        except TusError:
            _drop(tmp, writer)
            raise
        except Exception:
            if verifier is None:
                _keep(path, tmp, name, writer, upload.offset)
            else:
                _drop(tmp, writer)
            raise
        _keep(path, tmp, name, writer, upload.offset)
        upload.offset += writer.size
        upload.expires_at = (
            utcnow() + timedelta(seconds=settings.upload_expiry_seconds)
        ).isoformat()
        _write_info(path, upload)
        return upload


class _Joined(io.RawIOBase):
    """The segments of an upload, decrypted one after another, as one stream."""

    def __init__(self, segments: list[tuple[int, int, str, Path]]):
        super().__init__()
        self._pending = list(segments)
        self._current: BinaryIO | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:  # type: ignore[no-untyped-def]
        while True:
            if self._current is None:
                if not self._pending:
                    return 0
                _start, _end, name, path = self._pending.pop(0)
                self._current = open_sealed(path, name)
            data = self._current.read(len(target))
            if data:
                target[: len(data)] = data
                return len(data)
            self._current.close()
            self._current = None

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
        super().close()


def opener(settings: Settings, upload_id: str) -> Callable[[], BinaryIO]:
    """A function returning a fresh decrypting reader over the upload's bytes."""
    path = _dir(settings, upload_id)

    def open_upload() -> BinaryIO:
        segments = _segments(path)
        expected = 0
        for start, end, _name, _path in segments:
            if start != expected:
                raise TusError(409, "The upload is incomplete.", "upload_incomplete")
            expected = end
        return io.BufferedReader(_Joined(segments), BLOCK)  # type: ignore[return-value]

    return open_upload


def read_all(settings: Settings, upload_id: str) -> bytes:
    with opener(settings, upload_id)() as reader:
        return reader.read()


def terminate(settings: Settings, upload_id: str, owner_id: int) -> None:
    with locked(settings, upload_id):
        load(settings, upload_id, owner_id)
        shutil.rmtree(_dir(settings, upload_id), ignore_errors=True)


def discard(settings: Settings, upload_id: str) -> None:
    shutil.rmtree(_dir(settings, upload_id), ignore_errors=True)


def expire_uploads(settings: Settings, now: datetime | None = None) -> int:
    """Delete unfinished uploads past their expiry (and finished ones a day after that)."""
    now = now or utcnow()
    removed = 0
    for path in uploads_root(settings).iterdir():
        if not ID_RE.match(path.name):
            continue
        info: object = {}
        try:
            info = json.loads((path / "info.json").read_text())
            expires = datetime.fromisoformat(info["expires_at"])  # type: ignore[index]
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            expires = datetime.fromtimestamp(path.stat().st_mtime, now.tzinfo) + timedelta(days=1)
        if expires + (timedelta(days=1) if _finished(path, info) else timedelta()) <= now:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def _finished(path: Path, info: object) -> bool:
    try:
        return _offset(path) == int(info["length"])  # type: ignore[index]
    except (FileNotFoundError, KeyError, TypeError, ValueError):
        return False
