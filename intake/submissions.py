"""Creating tickets from the web doors: an uploaded archive or a repository URL.

Flask-free: views hand in a path on disk (the upload already streamed there) or a URL. Bad
input raises ``SubmissionError`` with the developer-facing message and creates nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from intake import storage
from intake.archives import INVALID_FORMAT, TOO_LARGE, ArchiveError, detect_type_from
from models.reviewers import REVIEW_TYPES
from models.tickets import SourceKind, Submission
from models.users import User
from reviews.state import Actor, create_ticket
from settings import Settings

MAX_DESCRIPTION = 5000
MAX_HINTS = 10
NO_REVIEW_TYPE = "Choose at least one review type: security, performance or best practices."


class SubmissionError(ValueError):
    def __init__(self, message: str, status: int = 422, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


@dataclass(frozen=True)
class ReviewRequest:
    review_types: list[str]
    description: str
    hints: list[str]


def clean_text(text: str, *, keep_lines: bool = False) -> str:
    """Drop what no database or page should hold: NULs, other controls, lone surrogates."""
    allowed = {"\n", "\t"} if keep_lines else set()
    return "".join(ch for ch in text if ch.isprintable() or ch in allowed)


def review_request(
    review_types: Iterable[str], description: str | None, hints: Iterable[str] | str | None
) -> ReviewRequest:
    """Normalise what the form or API sent; refuse an empty or unknown review type."""
    aliases = {"best_practices": "best-practices", "best practices": "best-practices"}
    chosen = []
    for item in review_types:
        value = aliases.get(str(item).strip().lower(), str(item).strip().lower())
        if value not in REVIEW_TYPES:
            raise SubmissionError(f"Unknown review type: {item}. {NO_REVIEW_TYPE}")
        if value not in chosen:
            chosen.append(value)
    if not chosen:
        raise SubmissionError(NO_REVIEW_TYPE)
    description = clean_text(str(description or ""), keep_lines=True).strip()
    if len(description) > MAX_DESCRIPTION:
        raise SubmissionError(f"The description is too long (at most {MAX_DESCRIPTION} chars).")
    if isinstance(hints, str):
        hints = hints.split(",")
    cleaned = [clean_text(str(h)).strip().lower()[:40] for h in (hints or []) if h]
    cleaned = [h for h in cleaned if h]
    return ReviewRequest(chosen, description, list(dict.fromkeys(cleaned))[:MAX_HINTS])


def check_archive(settings: Settings, opener: Callable[[], BinaryIO], size: int) -> None:
    """The cheap checks done before a ticket exists: size and type by content."""
    if size > settings.max_upload_bytes:
        raise SubmissionError(TOO_LARGE, 413, "too_large")
    try:
        detect_type_from(opener)
    except ArchiveError as error:
        raise SubmissionError(error.message, error.status, error.code) from None


def submit_stream(
    session: Session,
    settings: Settings,
    owner: User,
    opener: Callable[[], BinaryIO],
    size: int,
    filename: str,
    request: ReviewRequest,
    *,
    actor: Actor,
) -> Submission:
    """Check, encrypt and keep the archive ``opener`` reads, and open the ticket."""
    check_archive(settings, opener, size)
    with opener() as reader:
        key = storage.store_stream(reader)
    try:
        ticket = Submission(
            owner_id=owner.id,
            source=SourceKind.UPLOAD.value,
            review_types=request.review_types,
            description=request.description or None,
            hints=request.hints,
            upload_id=key,
            archive_name=os.path.basename(filename or "upload")[:255] or "upload",
            archive_size=size,
        )
        return create_ticket(session, ticket, actor=actor)
    except BaseException:
        storage.delete_blob(key)
        raise


def submit_archive(
    session: Session,
    settings: Settings,
    owner: User,
    path: Path,
    filename: str,
    request: ReviewRequest,
    *,
    actor: Actor,
) -> Submission:
    """``submit_stream`` for a file on disk (the file at ``path`` is left for the caller)."""
    size = path.stat().st_size
    return submit_stream(
        session, settings, owner, lambda: open(path, "rb"), size, filename, request, actor=actor
    )


def submit_repository(
    session: Session,
    owner: User,
    repo: object,
    request: ReviewRequest,
    *,
    actor: Actor,
) -> Submission:
    """Open a ticket for a parsed repository (``intake.repos.RepoRef``); intake fetches it."""
    ticket = Submission(
        owner_id=owner.id,
        source=SourceKind.REPO_URL.value,
        review_types=request.review_types,
        description=request.description or None,
        hints=request.hints,
        repo_url=repo.url,  # type: ignore[attr-defined]
        repo_ref=repo.ref,  # type: ignore[attr-defined]
        forge=repo.forge,  # type: ignore[attr-defined]
        repo_full_name=repo.full_name,  # type: ignore[attr-defined]
    )
    return create_ticket(session, ticket, actor=actor)


__all__ = ["INVALID_FORMAT", "TOO_LARGE", "ReviewRequest", "SubmissionError"]
