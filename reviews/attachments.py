"""Files a reviewer attaches to a review: a report, fixed code (archive) or a patch.

Each upload is checked for kind, extension, content and size, malware-scanned, and stored
encrypted with intake's storage. Nothing is downloadable until its scan came back clean: when
the scanner is down the file is kept (encrypted) as ``pending`` and a job scans it later.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

import policy
from jobs.errors import PermanentJobError, RetryLater
from jobs.outbox import enqueue
from models.db import session_scope
from models.reviews import Attachment
from models.tickets import Submission
from models.users import User
from settings import Settings

MiB = 1024 * 1024
MAX_ATTACHMENT_BYTES = 50 * MiB
KINDS: dict[str, tuple[str, ...]] = {
    "report": (".pdf", ".md", ".txt"),
    "fixed_code": (".zip", ".tar.gz", ".tgz"),
    "patch": (".patch", ".diff"),
}
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".zip": "application/zip",
    ".tar.gz": "application/gzip",
    ".tgz": "application/gzip",
    ".patch": "text/x-diff",
    ".diff": "text/x-diff",
}
MAGIC = {".pdf": b"%PDF-", ".zip": b"PK\x03\x04", ".tar.gz": b"\x1f\x8b", ".tgz": b"\x1f\x8b"}


class AttachmentError(ValueError):
    """The file cannot be attached; the message says why."""


class AttachmentNotFound(LookupError):
    """No such attachment on this ticket, or not one this user may download (yet)."""


def limit_for(settings: Settings) -> int:
    return min(MAX_ATTACHMENT_BYTES, settings.max_upload_bytes)


def extension_of(filename: str, kind: str) -> str:
    if kind not in KINDS:
        raise AttachmentError(f"Unknown attachment type {kind!r}: choose {', '.join(KINDS)}.")
    lower = filename.lower()
    for ext in KINDS[kind]:
        if lower.endswith(ext):
            return ext
    raise AttachmentError(
        f"Invalid file format: a {kind.replace('_', ' ')} must be {', '.join(KINDS[kind])}."
    )


def _clean_name(filename: str) -> str:
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(c for c in name if c.isprintable() and c not in '"<>')
    if not name:
        raise AttachmentError("The file needs a name.")
    return name[:200]


def _spool(stream: BinaryIO, dest: Path, limit: int) -> int:
    size = 0
    with dest.open("wb") as out:
        while chunk := stream.read(256 * 1024):
            size += len(chunk)
            if size > limit:
                raise AttachmentError(f"File size exceeds limit ({limit // MiB} MB).")
            out.write(chunk)
    if size == 0:
        raise AttachmentError("The file is empty.")
    return size


def _check_content(path: Path, ext: str) -> None:
    """The bytes must match the name: a PDF starts like one, text is UTF-8 without NULs."""
    head = path.read_bytes()[:8192] if path.stat().st_size < 8192 else path.open("rb").read(8192)
    magic = MAGIC.get(ext)
    if magic is not None:
        if not head.startswith(magic):
            raise AttachmentError(f"Invalid file format: the content is not a {ext} file.")
        return
    if b"\x00" in head:
        raise AttachmentError(f"Invalid file format: a {ext} file must be text.")
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise AttachmentError(f"Invalid file format: a {ext} file must be UTF-8 text.") from None


def add_attachment(
    session: Session,
    settings: Settings,
    ticket: Submission,
    uploader: User,
    *,
    filename: str,
    stream: BinaryIO,
    kind: str,
) -> Attachment:
    """Check, scan and store one file; raises AttachmentError (storing nothing) when refused."""
    from intake.scanning import ScannerUnavailable, scan_path
    from intake.storage import store_path

    if not policy.can_attach(uploader, ticket):
        raise AttachmentError("Only the assigned reviewer can attach files while reviewing.")
    name = _clean_name(filename)
    ext = extension_of(name, kind)
    workdir = Path(tempfile.mkdtemp(prefix="vetted-attach-"))
    try:
        spooled = workdir / "upload"
        size = _spool(stream, spooled, limit_for(settings))
        _check_content(spooled, ext)
        try:
            result = scan_path(settings, spooled)
            status, detail = ("clean", result.engine) if result.clean else ("infected", None)
            if not result.clean:
                detail = result.signature
        except ScannerUnavailable:
            status, detail = "pending", "scanner unavailable"
        if status == "infected":
            raise AttachmentError(f"The file was flagged as malware ({detail}) and was not stored.")
        key = store_path(spooled)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    attachment = Attachment(
        submission_id=ticket.id,
        uploader_id=uploader.id,
        filename=name,
        content_type=CONTENT_TYPES[ext],
        size=size,
        kind=kind,
        storage_key=key,
        scan_status=status,
        scan_result=detail,
    )
    session.add(attachment)
    session.flush()
    if status == "pending":
        enqueue(
            session,
            "reviews.attachments.scan_attachment",
            key=f"scan-attachment:{attachment.id}",
            attachment_id=attachment.id,
        )
    return attachment


def attachments_for(session: Session, ticket: Submission) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment).where(Attachment.submission_id == ticket.id).order_by(Attachment.id)
        )
    )


def get_downloadable(
    session: Session, ticket: Submission, user: User | None, attachment_id: int
) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or not policy.can_download_attachment(user, ticket, attachment):
        raise AttachmentNotFound(attachment_id)
    return attachment


def open_attachment(attachment: Attachment) -> BinaryIO:
    from intake.storage import open_blob

    return open_blob(attachment.storage_key)


def read_attachment(attachment: Attachment, limit: int = MAX_ATTACHMENT_BYTES) -> bytes:
    with open_attachment(attachment) as blob:
        return blob.read(limit + 1)[:limit]


def scan_attachment(attachment_id: int) -> None:
    """Job: scan a file stored while the scanner was down; idempotent once decided."""
    from intake.scanning import ScannerUnavailable, scan_path
    from intake.storage import delete_blob, open_blob
    from settings import load_settings

    settings = load_settings()
    with session_scope() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None:
            raise PermanentJobError(f"attachment {attachment_id} is gone")
        if attachment.scan_status != "pending" or attachment.storage_key is None:
            return
        workdir = Path(tempfile.mkdtemp(prefix="vetted-rescan-"))
        try:
            plain = workdir / "blob"
            with open_blob(attachment.storage_key) as blob, plain.open("wb") as out:
                shutil.copyfileobj(blob, out)
            try:
                result = scan_path(settings, plain)
            except ScannerUnavailable as exc:
                raise RetryLater("malware scanner unavailable", 60) from exc
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if result.clean:
            attachment.scan_status, attachment.scan_result = "clean", result.engine
        else:
            delete_blob(attachment.storage_key)
            attachment.storage_key = None
            attachment.scan_status, attachment.scan_result = "infected", result.signature
