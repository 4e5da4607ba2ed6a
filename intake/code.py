"""A ticket's code as files: what the viewer lists and reads, and how a tree gets stored.

Each file of the tree is its own encrypted blob, so the viewer decrypts only the file asked
for. A manifest (itself an encrypted blob, its key in ``ticket.archive_key``) maps paths to
blobs. Replacing a ticket's tree stores the new one first, then deletes the old blobs.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from intake import storage
from intake.languages import language_of
from models.tickets import Submission

MANIFEST_VERSION = 1
BINARY_SNIFF = 8192


@dataclass(frozen=True)
class CodeFile:
    path: str
    size: int
    is_binary: bool
    language: str | None = None
    blob: str = ""
    sha256: str = ""


def _is_binary(path: Path) -> bool:
    with open(path, "rb") as fileobj:
        return b"\0" in fileobj.read(BINARY_SNIFF)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fileobj:
        for block in iter(lambda: fileobj.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _walk(directory: Path) -> list[Path]:
    """Regular files only, never following links, in a stable order."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return found


def _load_manifest(ticket: Submission) -> list[dict]:
    if not ticket.archive_key:
        return []
    data = json.loads(storage.read_blob(ticket.archive_key))
    return list(data.get("files", []))


def delete_tree(key: str | None) -> int:
    """Delete a manifest and every blob it names. Returns how many blobs were removed."""
    if not key:
        return 0
    try:
        files = json.loads(storage.read_blob(key)).get("files", [])
    except FileNotFoundError:
        return 0
    removed = sum(storage.delete_blob(entry["blob"]) for entry in files)
    return removed + storage.delete_blob(key)


def store_tree(directory: Path) -> tuple[str, int]:
    """Encrypt every file under ``directory``; returns (manifest key, total bytes)."""
    entries = []
    stored: list[str] = []
    total = 0
    try:
        for path in _walk(directory):
            rel = path.relative_to(directory).as_posix()
            blob = storage.store_path(path)
            stored.append(blob)
            size = path.stat().st_size
            total += size
            entry = CodeFile(rel, size, _is_binary(path), language_of(rel), blob, _sha256(path))
            entries.append(asdict(entry))
        manifest = {"version": MANIFEST_VERSION, "files": entries}
        key = storage.store_stream(io.BytesIO(json.dumps(manifest).encode()))
    except BaseException:
        for blob in stored:
            storage.delete_blob(blob)
        raise
    return key, total


def store_tree_for_ticket(session: Session, ticket: Submission, directory: Path) -> str:
    """Give ``ticket`` the code under ``directory`` (replacing any it had); returns the key."""
    old = ticket.archive_key
    key, _total = store_tree(Path(directory))
    ticket.archive_key = key
    session.flush()
    if old and old != key:
        delete_tree(old)
    return key


def list_files(ticket: Submission) -> list[CodeFile]:
    return [CodeFile(**entry) for entry in _load_manifest(ticket)]


def read_file(ticket: Submission, path: str) -> bytes:
    """The plaintext of one file; ``FileNotFoundError`` when the ticket has no such file."""
    for entry in _load_manifest(ticket):
        if entry["path"] == path:
            return storage.read_blob(entry["blob"])
    raise FileNotFoundError(path)
