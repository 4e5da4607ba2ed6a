"""A reviewer's counters, kept right under concurrency by atomic SQL updates."""

from __future__ import annotations

from statistics import median

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from models.reviewers import ReviewerProfile
from models.tickets import Submission, TicketStatus

TURNAROUND_SAMPLE = 200


def review_finished(session: Session, reviewer_id: int) -> None:
    """One open review fewer, one completed more, and a fresh median turnaround."""
    session.execute(
        update(ReviewerProfile)
        .where(ReviewerProfile.user_id == reviewer_id)
        .values(
            open_reviews=case(
                (ReviewerProfile.open_reviews > 0, ReviewerProfile.open_reviews - 1), else_=0
            ),
            completed_reviews=ReviewerProfile.completed_reviews + 1,
        )
    )
    session.execute(
        update(ReviewerProfile)
        .where(ReviewerProfile.user_id == reviewer_id)
        .values(median_turnaround_hours=median_turnaround_hours(session, reviewer_id))
    )


def median_turnaround_hours(session: Session, reviewer_id: int) -> float | None:
    rows = session.execute(
        select(Submission.accepted_at, Submission.completed_at)
        .where(
            Submission.reviewer_id == reviewer_id,
            Submission.status == TicketStatus.COMPLETED.value,
            Submission.accepted_at.is_not(None),
            Submission.completed_at.is_not(None),
        )
        .order_by(Submission.completed_at.desc())
        .limit(TURNAROUND_SAMPLE)
    ).all()
    hours = [(done - accepted).total_seconds() / 3600 for accepted, done in rows]
    return round(median(hours), 2) if hours else None


def rating_changed(session: Session, reviewer_id: int, delta_sum: int, delta_count: int) -> None:
    """Apply a rating's change to the aggregate in one statement, then recompute the average."""
    session.execute(
        update(ReviewerProfile)
        .where(ReviewerProfile.user_id == reviewer_id)
        .values(
            rating_sum=ReviewerProfile.rating_sum + delta_sum,
            rating_count=ReviewerProfile.rating_count + delta_count,
        )
    )
    session.execute(
        update(ReviewerProfile)
        .where(ReviewerProfile.user_id == reviewer_id, ReviewerProfile.rating_count > 0)
        .values(rating_avg=ReviewerProfile.rating_sum * 1.0 / ReviewerProfile.rating_count)
    )
