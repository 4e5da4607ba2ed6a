"""What a review produces: inline comments, summary feedback, attachments, and the rating."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, EncryptedText, Timestamps, utcnow
from models.tickets import Submission
from models.users import User

COMMENT_CATEGORIES = ("security", "performance", "best-practice", "other")
SEVERITIES = ("info", "low", "medium", "high", "critical")


class ReviewComment(Timestamps, Base):
    __tablename__ = "review_comments"
    __table_args__ = (UniqueConstraint("origin", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_label: Mapped[str | None] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_comments.id", ondelete="CASCADE")
    )
    file_path: Mapped[str | None] = mapped_column(EncryptedText("review_comments.file_path"))
    # a keyed hash of the path, so comments can be looked up by file without decrypting
    file_key: Mapped[str | None] = mapped_column(String(64))
    line_start: Mapped[int | None] = mapped_column(Integer)
    line_end: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(EncryptedText("review_comments.body"))
    suggestion: Mapped[str | None] = mapped_column(EncryptedText("review_comments.suggestion"))
    category: Mapped[str] = mapped_column(String(32), default="other")
    severity: Mapped[str] = mapped_column(String(16), default="info")
    origin: Mapped[str] = mapped_column(String(16), default="web")  # web | github | gitlab
    external_id: Mapped[str | None] = mapped_column(String(64))
    resolved: Mapped[bool] = mapped_column(default=False)
    posted_to_forge_at: Mapped[datetime | None]

    submission: Mapped[Submission] = relationship()
    author: Mapped[User | None] = relationship()


Index("ix_review_comments_ticket_file", ReviewComment.submission_id, ReviewComment.file_key)


class Feedback(Timestamps, Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), unique=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    performance: Mapped[str | None] = mapped_column(EncryptedText("feedback.performance"))
    security: Mapped[str | None] = mapped_column(EncryptedText("feedback.security"))
    best_practices: Mapped[str | None] = mapped_column(EncryptedText("feedback.best_practices"))
    overall: Mapped[str | None] = mapped_column(EncryptedText("feedback.overall"))
    verdict: Mapped[str | None] = mapped_column(String(32))


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(EncryptedText("attachments.filename"))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16), default="report")  # report | fixed_code | patch
    storage_key: Mapped[str | None] = mapped_column(String(128))
    scan_status: Mapped[str] = mapped_column(String(16), default="pending")
    scan_result: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Rating(Timestamps, Base):
    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        UniqueConstraint("submission_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rater_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    score: Mapped[int] = mapped_column(Integer)
    helpfulness: Mapped[int | None] = mapped_column(Integer)
    depth: Mapped[int | None] = mapped_column(Integer)
    clarity: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(EncryptedText("ratings.comment"))
    show_submitter: Mapped[bool] = mapped_column(default=False)
    origin: Mapped[str] = mapped_column(String(16), default="web")
    final_at: Mapped[datetime | None]
