"""The ticket (``Submission``): one request for a review, whichever door it came through."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, EncryptedText, JSONType, Timestamps, utcnow
from models.users import User

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ticket_id() -> str:
    """``VT-XXXX-XXXX``: 40 random bits in Crockford base32 (no I, L, O, U: easy to read aloud)."""
    chars = "".join(secrets.choice(CROCKFORD) for _ in range(8))
    return f"VT-{chars[:4]}-{chars[4:]}"


def normalise_ticket_id(text: str) -> str:
    """Accept what people type: lower case, missing dashes, O for 0, I/L for 1."""
    cleaned = text.strip().upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if cleaned.startswith("VT"):
        cleaned = cleaned[2:]
    if len(cleaned) != 8 or any(c not in CROCKFORD for c in cleaned):
        return ""
    return f"VT-{cleaned[:4]}-{cleaned[4:]}"


class TicketStatus(StrEnum):
    SUBMITTED = "submitted"
    SCANNING = "scanning"
    MATCHING = "matching"
    OFFERED = "offered"
    IN_REVIEW = "in_review"
    COMPLETED = "completed"
    REJECTED = "rejected"
    UNMATCHED = "unmatched"
    CANCELLED = "cancelled"


class SourceKind(StrEnum):
    UPLOAD = "upload"
    REPO_URL = "repo_url"
    GITHUB_PR = "github_pr"
    GITLAB_MR = "gitlab_mr"


class Submission(Timestamps, Base):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_ticket_id)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.SUBMITTED.value)
    review_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    description: Mapped[str | None] = mapped_column(EncryptedText("submissions.description"))
    hints: Mapped[list[str]] = mapped_column(JSONType, default=list)
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    frameworks: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # where the code comes from
    repo_url: Mapped[str | None] = mapped_column(String(500))
    repo_ref: Mapped[str | None] = mapped_column(String(255))
    forge: Mapped[str | None] = mapped_column(String(16))  # github | gitlab
    installation_id: Mapped[int | None] = mapped_column(
        ForeignKey("installations.id", ondelete="SET NULL")
    )
    repo_full_name: Mapped[str | None] = mapped_column(String(255))
    forge_project_id: Mapped[int | None] = mapped_column(Integer)
    pr_number: Mapped[int | None] = mapped_column(Integer)
    head_sha: Mapped[str | None] = mapped_column(String(64))
    upload_id: Mapped[str | None] = mapped_column(String(64))
    # the stored, encrypted archive (intake) and what the scan found
    archive_key: Mapped[str | None] = mapped_column(String(128))
    archive_name: Mapped[str | None] = mapped_column(String(255))
    archive_size: Mapped[int | None]
    scan_engine: Mapped[str | None] = mapped_column(String(32))
    scan_result: Mapped[str | None] = mapped_column(String(255))
    warnings: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # why the ticket is where it is, in words for the developer
    status_reason: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    match_explanation: Mapped[dict] = mapped_column(JSONType, default=dict)
    # the time of every status change
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    scanned_at: Mapped[datetime | None]
    matched_at: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    rejected_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    unmatched_at: Mapped[datetime | None]
    next_match_at: Mapped[datetime | None]
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])

    @property
    def is_open(self) -> bool:
        return self.status not in {
            TicketStatus.COMPLETED,
            TicketStatus.REJECTED,
            TicketStatus.CANCELLED,
        }


Index("ix_submissions_status_changed", Submission.status, Submission.status_changed_at)
Index("ix_submissions_owner_created", Submission.owner_id, Submission.created_at)
Index("ix_submissions_reviewer_status", Submission.reviewer_id, Submission.status)
Index("ix_submissions_forge_pr", Submission.forge, Submission.repo_full_name, Submission.pr_number)
