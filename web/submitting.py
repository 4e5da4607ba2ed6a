"""What the submit page and ``POST /api/v1/submissions`` share: reading the request, opening
the ticket, and finding a ticket the current user may see.

Uploads stream to disk (werkzeug spools multipart files to a temporary file; the body is
refused as soon as it passes the limit), never into memory.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from flask import current_app, request
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from intake import tus
from intake.archives import TOO_LARGE
from intake.repos import RepoUrlError, parse_repo_url
from intake.submissions import (
    ReviewRequest,
    SubmissionError,
    review_request,
    submit_repository,
    submit_stream,
)
from models.db import db
from models.offers import Offer, OfferStatus
from models.tickets import Submission, TicketStatus, normalise_ticket_id
from models.users import User
from policy import can_retry_ticket, can_view_ticket
from reviews.state import Actor
from settings import Settings
from web.current import client_ip
from web.errors import UserFacingError

FORM_OVERHEAD = 1024 * 1024
CHOOSE_ONE = "Please upload an archive or give a repository URL."
STEPS = [
    (TicketStatus.SUBMITTED.value, "Submitted"),
    (TicketStatus.SCANNING.value, "Checking and scanning"),
    (TicketStatus.MATCHING.value, "Finding a reviewer"),
    (TicketStatus.OFFERED.value, "Reviewer asked"),
    (TicketStatus.IN_REVIEW.value, "In review"),
    (TicketStatus.COMPLETED.value, "Completed"),
]


def app_settings() -> Settings:
    return current_app.config["SETTINGS"]


def refuse_oversized_body(settings: Settings) -> None:
    """Early 413 on Content-Length; werkzeug enforces the same limit while streaming."""
    limit = settings.max_upload_bytes + FORM_OVERHEAD
    if request.content_length is not None and request.content_length > limit:
        raise UserFacingError(413, TOO_LARGE, code="too_large")
    request.max_content_length = limit


def _as_user_error(error: SubmissionError | RepoUrlError | tus.TusError) -> UserFacingError:
    if isinstance(error, RepoUrlError):
        return UserFacingError(422, error.message, code="unsupported_repository")
    status = getattr(error, "status", 422)
    code = getattr(error, "code", "invalid")
    return UserFacingError(status, error.message, code=code)


def _text(values: dict[str, Any], name: str) -> str:
    value = values.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UserFacingError(422, f"{name} must be text.", code="invalid")
    return value


def review_request_from(values: dict[str, Any]) -> ReviewRequest:
    types = values.get("review_types") or []
    if isinstance(types, str):
        types = [t for t in types.split(",") if t.strip()]
    hints = values.get("hints")
    if not isinstance(types, list) or not (hints is None or isinstance(hints, str | list)):
        raise UserFacingError(422, "review_types and hints must be lists.", code="invalid")
    try:
        return review_request(types, _text(values, "description"), hints)
    except SubmissionError as error:
        raise _as_user_error(error) from None


class _Borrowed:
    """The spooled upload, lent to readers that close what they open, without closing it."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def __enter__(self) -> _Borrowed:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _from_file(settings: Settings, user: User, upload: FileStorage, req: ReviewRequest, actor):  # type: ignore[no-untyped-def]
    """werkzeug has streamed the part to a temporary file (never into memory beyond 500 KB)."""
    stream = upload.stream
    stream.seek(0, 2)
    size = stream.tell()

    def opener() -> BinaryIO:
        stream.seek(0)
        return _Borrowed(stream)  # type: ignore[return-value]

    filename = upload.filename or ""
    return submit_stream(db, settings, user, opener, size, filename, req, actor=actor)


def _from_upload_id(settings: Settings, user: User, upload_id: str, req: ReviewRequest, actor):  # type: ignore[no-untyped-def]
    with tus.locked(settings, upload_id):
        upload = tus.load(settings, upload_id, owner_id=user.id)
        if not upload.complete:
            raise SubmissionError("That upload has not finished yet.", 409, "upload_incomplete")
        opener = tus.opener(settings, upload_id)
        return submit_stream(
            db, settings, user, opener, upload.length, upload.filename, req, actor=actor
        )


def create_submission(
    user: User, values: dict[str, Any], archive: FileStorage | None
) -> Submission:
    """Open a ticket from an archive, a finished tus upload, or a repository URL."""
    settings = app_settings()
    req = review_request_from(values)
    actor = Actor(user_id=user.id, ip=client_ip())
    repo_url = _text(values, "repo_url").strip()
    upload_id = _text(values, "upload_id").strip()
    has_file = archive is not None and bool(archive.filename)
    if sum(map(bool, (has_file, repo_url, upload_id))) != 1:
        raise UserFacingError(422, CHOOSE_ONE, code="invalid")
    try:
        if has_file:
            ticket = _from_file(settings, user, archive, req, actor)  # type: ignore[arg-type]
        elif upload_id:
            ticket = _from_upload_id(settings, user, upload_id, req, actor)
        else:
            repo = parse_repo_url(settings, repo_url)
            ticket = submit_repository(db, user, repo, req, actor=actor)
    except (SubmissionError, RepoUrlError, tus.TusError) as error:
        db.rollback()
        raise _as_user_error(error) from None
    db.commit()
    if upload_id:
        tus.discard(settings, upload_id)
    return ticket


def _open_offer(user: User | None, ticket: Submission) -> Offer | None:
    if user is None:
        return None
    return db.scalar(
        select(Offer).where(
            Offer.submission_id == ticket.id,
            Offer.reviewer_id == user.id,
            Offer.status == OfferStatus.OFFERED.value,
        )
    )


def ticket_for(user: User | None, ticket_id: str) -> Submission:
    """The ticket if ``user`` may see it; 404 otherwise (unknown and forbidden look alike)."""
    normalised = normalise_ticket_id(ticket_id)
    ticket = db.scalar(select(Submission).where(Submission.ticket_id == normalised))
    if ticket is None or not can_view_ticket(user, ticket, _open_offer(user, ticket)):
        raise UserFacingError(404, "We could not find that ticket.", code="not_found")
    return ticket


def ticket_view(user: User | None, ticket: Submission, url: str) -> dict[str, Any]:
    return {
        "ticket_id": ticket.ticket_id,
        "status": ticket.status,
        "status_reason": ticket.status_reason,
        "error_code": ticket.error_code,
        "url": url,
        "source": ticket.source,
        "review_types": list(ticket.review_types or []),
        "languages": list(ticket.languages or []),
        "frameworks": list(ticket.frameworks or []),
        "warnings": list(ticket.warnings or []),
        "scan_engine": ticket.scan_engine,
        "clamav_used": ticket.scan_engine == "clamav" if ticket.scan_engine else None,
        "archive_name": ticket.archive_name,
        "repo_url": ticket.repo_url,
        "submitted_at": ticket.submitted_at.isoformat() if ticket.submitted_at else None,
        "can_retry": can_retry_ticket(user, ticket) and ticket.error_code == "fetch_failed",
    }
