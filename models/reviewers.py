"""Reviewers: their profile, what they are verified for, and the evidence behind it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, JSONType, Timestamps, utcnow
from models.users import User

REVIEW_TYPES = ("security", "performance", "best-practices")


class VerificationState(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    REVOKED = "revoked"


class ReviewerProfile(Timestamps, Base):
    __tablename__ = "reviewer_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    expertise: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Denormalised from ExpertiseVerification rows in state VERIFIED: the matcher filters on it.
    verified_tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    github_username: Mapped[str | None] = mapped_column(String(100))
    gitlab_username: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    work_start_hour: Mapped[int] = mapped_column(Integer, default=9)
    work_end_hour: Mapped[int] = mapped_column(Integer, default=17)
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    available: Mapped[bool] = mapped_column(default=True)
    away_until: Mapped[datetime | None]
    open_reviews: Mapped[int] = mapped_column(Integer, default=0)
    # Capacity reserved by offers not yet answered: open_reviews + pending_offers <= capacity.
    pending_offers: Mapped[int] = mapped_column(Integer, default=0)
    completed_reviews: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    rating_avg: Mapped[float] = mapped_column(Float, default=0.0)
    median_turnaround_hours: Mapped[float | None] = mapped_column(Float)
    # Starts at joining, so "time since last offer" is also "time waiting since joining".
    last_offered_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    is_public: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship()
    verifications: Mapped[list[ExpertiseVerification]] = relationship(
        back_populates="profile", cascade="all, delete-orphan"
    )

    @property
    def has_capacity(self) -> bool:
        return self.open_reviews + self.pending_offers < self.capacity


class ExpertiseVerification(Base):
    """One expertise tag of one reviewer, and the decision about it."""

    __tablename__ = "expertise_verifications"
    __table_args__ = (UniqueConstraint("profile_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("reviewer_profiles.id", ondelete="CASCADE"), index=True
    )
    tag: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=VerificationState.PENDING.value)
    # how it was verified: admin, work_history, certification, skills_test
    method: Mapped[str | None] = mapped_column(String(32))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    profile: Mapped[ReviewerProfile] = relationship(back_populates="verifications")


class Evidence(Base):
    """Work history, a certificate or a skills-test attempt offered in support of expertise."""

    __tablename__ = "verification_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("reviewer_profiles.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # work_history | certification | skills_test
    tag: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    storage_key: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default=VerificationState.PENDING.value)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime | None]
    score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_reviewer_profiles_matchable", ReviewerProfile.available, ReviewerProfile.open_reviews)
# The matcher's two access paths (PostgreSQL): tag containment through GIN, and fair rotation
# (longest since the last offer first) over reviewers who have room, through a partial b-tree
# that carries the other filtered columns, so the walk is an index-only scan.
Index(
    "ix_reviewer_profiles_verified_tags",
    ReviewerProfile.verified_tags,
    postgresql_using="gin",
)
Index(
    "ix_reviewer_profiles_rotation",
    ReviewerProfile.last_offered_at,
    ReviewerProfile.id,
    postgresql_where=text("available AND open_reviews + pending_offers < capacity"),
    postgresql_include=["user_id", "away_until", "verified_tags"],
)
