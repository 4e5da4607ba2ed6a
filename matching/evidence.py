"""Recording evidence (work history, certificates) and the admin's check of it."""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.errors import RetryLater
from models.base import utcnow
from models.db import session_scope
from models.reviewers import Evidence, ReviewerProfile, VerificationState
from settings import Settings, load_settings

log = logging.getLogger(__name__)

USERNAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,38})$")
MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024
# Recognised by their first bytes, not by the name or the browser's word for them.
SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


class EvidenceError(ValueError):
    """The evidence cannot be taken; the message says why."""


@dataclass(frozen=True)
class CertificateScan:
    clean: bool
    signature: str | None
    engine: str


def valid_username(name: str) -> str:
    name = name.strip().lstrip("@")
    if name and not USERNAME_RE.match(name):
        raise EvidenceError(f"{name!r} does not look like a GitHub/GitLab username.")
    return name


def request_work_history(session: Session, profile: ReviewerProfile) -> None:
    """Queue fetching the linked accounts' public record (after the applicant saved them)."""
    from jobs.outbox import enqueue

    for forge, username in (
        ("github", profile.github_username),
        ("gitlab", profile.gitlab_username),
    ):
        if username:
            enqueue(
                session, "matching.evidence.fetch_work_history", profile_id=profile.id, forge=forge
            )


def fetch_work_history(profile_id: int, forge: str, settings: Settings | None = None) -> None:
    """Job: summarise the account for the admin. A missing account is recorded, not retried."""
    from forges.errors import ForgeError, NotFound, RateLimited
    from matching.work_history import github_summary, gitlab_summary

    settings = settings or load_settings()
    with session_scope() as session:
        profile = session.get(ReviewerProfile, profile_id)
        username = profile and (
            profile.github_username if forge == "github" else profile.gitlab_username
        )
    if not username:
        return
    try:
        summary = (github_summary if forge == "github" else gitlab_summary)(settings, username)
    except NotFound:
        summary = {"forge": forge, "login": username, "error": "No such account on " + forge}
    except RateLimited as exc:
        raise RetryLater(f"{forge} rate limit", delay=60) from exc
    except ForgeError as exc:
        summary = {"forge": forge, "login": username, "error": f"{forge} refused: {exc}"}
    with session_scope() as session:
        unchecked = session.scalars(
            select(Evidence).where(
                Evidence.profile_id == profile_id,
                Evidence.kind == "work_history",
                Evidence.checked_at.is_(None),
            )
        )
        existing = next((e for e in unchecked if e.data.get("forge") == forge), None)
        if existing is not None:
            existing.data = summary  # a repeated run refreshes, never duplicates
        else:
            session.add(Evidence(profile_id=profile_id, kind="work_history", data=summary))


def sniff_type(head: bytes) -> str | None:
    for magic, mime in SIGNATURES.items():
        if head.startswith(magic):
            return mime
    return None


def scan_certificate(settings: Settings, path: Path) -> CertificateScan:
    """Malware-scan an uploaded certificate with intake's scanner (clamd when configured).

    Fail closed: with clamd configured but down the upload is refused (nothing is stored
    unscanned) and the applicant is asked to try again.
    """
    from intake.scanning import ScannerUnavailable, scan_path

    try:
        result = scan_path(settings, path)
    except ScannerUnavailable as exc:
        raise EvidenceError(
            "The malware scanner is briefly unavailable, so the file was not accepted. "
            "Please try again in a few minutes."
        ) from exc
    return CertificateScan(result.clean, result.signature, result.engine)


def add_certificate(
    session: Session,
    profile: ReviewerProfile,
    fileobj: BinaryIO,
    *,
    tag: str,
    issuer: str,
    issued_on: date,
    filename: str,
    settings: Settings,
) -> Evidence:
    """Check size and type, scan, store encrypted, record it for the admin."""
    from intake.storage import store_path

    issuer = issuer.strip()
    if not issuer or len(issuer) > 200:
        raise EvidenceError("Please give the certificate's issuer (up to 200 characters).")
    if issued_on > date.today():
        raise EvidenceError("The issue date cannot be in the future.")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "certificate"
        with path.open("wb") as out:
            shutil.copyfileobj(fileobj, out, length=64 * 1024)
        size = path.stat().st_size
        if size == 0:
            raise EvidenceError("The file is empty.")
        if size > MAX_CERTIFICATE_BYTES:
            raise EvidenceError("File size exceeds limit (10 MB for a certificate).")
        with path.open("rb") as f:
            mime = sniff_type(f.read(16))
        if mime is None:
            raise EvidenceError("Invalid file format: upload a PDF, PNG or JPEG.")
        scan = scan_certificate(settings, path)
        if not scan.clean:
            log.warning("certificate for profile %s refused: %s", profile.id, scan.signature)
            raise EvidenceError("The file was refused: the malware scan found a threat.")
        key = store_path(path, root=Path(settings.storage_dir))
    evidence = Evidence(
        profile_id=profile.id,
        kind="certification",
        tag=tag,
        storage_key=key,
        data={
            "issuer": issuer,
            "issued_on": issued_on.isoformat(),
            "filename": Path(filename).name[:200],
            "content_type": mime,
            "size": size,
            "scan_engine": scan.engine,
        },
    )
    session.add(evidence)
    session.flush()
    return evidence


def check_evidence(session: Session, evidence: Evidence, *, admin_id: int, accept: bool) -> None:
    """The admin accepts or refuses one piece of evidence; who and when are recorded."""
    evidence.state = (VerificationState.VERIFIED if accept else VerificationState.REJECTED).value
    evidence.checked_by_id = admin_id
    evidence.checked_at = utcnow()
