"""What the public sees of a reviewer: reputation without anyone's code or identity.

Recent reviews show the rating, its comment and the review types; the submitter's name only
when they chose ``show_submitter``. Hidden (non-public) profiles do not exist to visitors.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from models.reviewers import ReviewerProfile
from models.reviews import Rating
from models.tickets import Submission, TicketStatus


@dataclass
class RecentReview:
    score: int
    comment: str | None
    review_types: list[str]
    submitter: str | None
    rated_at: object


@dataclass
class PublicProfile:
    profile: ReviewerProfile
    distribution: dict[int, int]
    recent: list[RecentReview]
    completed: int
    median_turnaround_hours: float | None

    @property
    def distribution_max(self) -> int:
        return max(self.distribution.values()) or 1


def find_public(session: Session, handle: str) -> ReviewerProfile | None:
    profile = session.scalar(
        select(ReviewerProfile)
        .options(joinedload(ReviewerProfile.user))
        .where(func.lower(ReviewerProfile.handle) == handle.strip().lower())
    )
    if profile is None or not profile.is_public or not profile.user.is_active:
        return None
    return profile


def _median_turnaround(session: Session, reviewer_id: int) -> float | None:
    rows = session.execute(
        select(Submission.accepted_at, Submission.completed_at).where(
            Submission.reviewer_id == reviewer_id,
            Submission.status == TicketStatus.COMPLETED.value,
            Submission.accepted_at.is_not(None),
            Submission.completed_at.is_not(None),
        )
    ).all()
    hours = [(done - started).total_seconds() / 3600 for started, done in rows]
    return statistics.median(hours) if hours else None


def public_profile(
    session: Session, profile: ReviewerProfile, *, recent: int = 10
) -> PublicProfile:
    counts = dict(
        session.execute(
            select(Rating.score, func.count())
            .where(Rating.reviewer_id == profile.user_id)
            .group_by(Rating.score)
        ).all()
    )
    rows = session.execute(
        select(Rating, Submission.review_types)
        .join(Submission, Submission.id == Rating.submission_id)
        .where(Rating.reviewer_id == profile.user_id)
        .order_by(Rating.created_at.desc())
        .limit(recent)
    ).all()
    recent_reviews = [
        RecentReview(
            score=rating.score,
            comment=rating.comment,
            review_types=list(types or []),
            submitter=_submitter_name(session, rating),
            rated_at=rating.created_at,
        )
        for rating, types in rows
    ]
    completed = (
        session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(
                Submission.reviewer_id == profile.user_id,
                Submission.status == TicketStatus.COMPLETED.value,
            )
        )
        or 0
    )
    median = profile.median_turnaround_hours
    if median is None:
        median = _median_turnaround(session, profile.user_id)
    return PublicProfile(
        profile=profile,
        distribution={score: counts.get(score, 0) for score in range(5, 0, -1)},
        recent=recent_reviews,
        completed=max(completed, profile.completed_reviews or 0),
        median_turnaround_hours=median,
    )


def _submitter_name(session: Session, rating: Rating) -> str | None:
    if not rating.show_submitter or rating.rater_id is None:
        return None
    from models.users import User

    user = session.get(User, rating.rater_id)
    return user.display_name if user is not None else None


def directory(session: Session, *, expertise: str | None = None) -> list[ReviewerProfile]:
    profiles = session.scalars(
        select(ReviewerProfile)
        .options(joinedload(ReviewerProfile.user))
        .where(ReviewerProfile.is_public.is_(True))
        .order_by(ReviewerProfile.rating_avg.desc(), ReviewerProfile.handle)
    ).all()
    visible = [p for p in profiles if p.user.is_active]
    if expertise:
        visible = [p for p in visible if expertise in (p.verified_tags or [])]
    return visible


def all_verified_tags(profiles: list[ReviewerProfile]) -> list[str]:
    return sorted({tag for p in profiles for tag in (p.verified_tags or [])})
