"""An offer of one ticket to one reviewer, and the reviewer's answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, JSONType, utcnow
from models.tickets import Submission
from models.users import User


class OfferStatus(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Offer(Base):
    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=OfferStatus.OFFERED.value)
    score: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    # Set once the reviewer's load for an accepted offer was given back (ticket cancelled).
    released_at: Mapped[datetime | None]

    submission: Mapped[Submission] = relationship()
    reviewer: Mapped[User] = relationship()


Index("ix_offers_reviewer_status", Offer.reviewer_id, Offer.status)
Index("ix_offers_submission_status", Offer.submission_id, Offer.status)
Index("ix_offers_status_expires", Offer.status, Offer.expires_at)
# One open offer per ticket at a time, whatever races: the database refuses a second.
Index(
    "uq_offers_one_open_per_ticket",
    Offer.submission_id,
    unique=True,
    postgresql_where=text("status = 'offered'"),
    sqlite_where=text("status = 'offered'"),
)
