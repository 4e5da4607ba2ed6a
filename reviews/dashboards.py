"""What each dashboard shows, as plain queries (the web layer only renders them).

The developer list is paginated on the ``(owner_id, created_at)`` index and loads only the
columns it shows (no encrypted fields), so a developer with 10,000 tickets gets a fast page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, load_only

from models.base import utcnow
from models.offers import Offer, OfferStatus
from models.reviewers import ExpertiseVerification, ReviewerProfile, VerificationState
from models.tickets import Submission, TicketStatus
from models.users import User

S = TicketStatus
PAGE_SIZE = 25

# The happy path, as the developer reads it; ``STEP_OF`` places each status on it.
STEPS = ("Submitted", "Scanning", "Matching", "Awaiting reviewer", "In progress", "Completed")
STEP_OF = {
    S.SUBMITTED: 0,
    S.SCANNING: 1,
    S.MATCHING: 2,
    S.OFFERED: 3,
    S.IN_REVIEW: 4,
    S.COMPLETED: 5,
}
ENDS = {S.REJECTED: "Rejected", S.UNMATCHED: "Unmatched", S.CANCELLED: "Cancelled"}
STATUS_LABELS = {
    S.SUBMITTED: "Submitted",
    S.SCANNING: "Scanning",
    S.MATCHING: "Matching",
    S.OFFERED: "Awaiting reviewer",
    S.IN_REVIEW: "In progress",
    S.COMPLETED: "Completed",
    **ENDS,
}
LIST_COLUMNS = (
    Submission.id,
    Submission.ticket_id,
    Submission.status,
    Submission.source,
    Submission.review_types,
    Submission.status_reason,
    Submission.reviewer_id,
    Submission.created_at,
    Submission.status_changed_at,
    Submission.completed_at,
    Submission.repo_full_name,
    Submission.pr_number,
)


@dataclass(frozen=True)
class Progress:
    """Where a ticket stands: the step reached, or the end it came to (with the reason)."""

    step: int
    end: str | None
    reason: str | None

    @property
    def steps(self) -> tuple[str, ...]:
        return STEPS

    @property
    def complete(self) -> bool:
        return self.step == len(STEPS) - 1


def progress_of(ticket: Submission) -> Progress:
    status = TicketStatus(ticket.status)
    if status in ENDS:
        return Progress(-1, ENDS[status], ticket.status_reason)
    return Progress(STEP_OF[status], None, ticket.status_reason)


@dataclass
class Page:
    items: list[Submission]
    page: int
    pages: int
    total: int


def developer_tickets(
    session: Session, user: User, *, status: str | None = None, page: int = 1
) -> Page:
    where = [Submission.owner_id == user.id]
    if status:
        where.append(Submission.status == status)
    total = session.scalar(select(func.count()).select_from(Submission).where(*where)) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    items = session.scalars(
        select(Submission)
        .options(
            load_only(*LIST_COLUMNS),
            joinedload(Submission.reviewer).load_only(User.id, User.name, User.email),
        )
        .where(*where)
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return Page(list(items), page, pages, total)


def status_counts(session: Session, owner: User | None = None) -> dict[str, int]:
    query = select(Submission.status, func.count()).group_by(Submission.status)
    if owner is not None:
        query = query.where(Submission.owner_id == owner.id)
    return {status: count for status, count in session.execute(query)}


@dataclass
class ReviewerBoard:
    profile: ReviewerProfile | None
    offers: list[Offer]
    in_progress: list[Submission]
    completed: list[Submission]


def time_left(expires_at: datetime, now: datetime | None = None) -> str:
    seconds = int((expires_at - (now or utcnow())).total_seconds())
    if seconds <= 0:
        return "expired"
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def reviewer_board(session: Session, user: User, *, recent: int = 10) -> ReviewerBoard:
    profile = session.scalar(select(ReviewerProfile).where(ReviewerProfile.user_id == user.id))
    offers = session.scalars(
        select(Offer)
        .options(joinedload(Offer.submission).load_only(*LIST_COLUMNS))
        .where(
            Offer.reviewer_id == user.id,
            Offer.status == OfferStatus.OFFERED.value,
            Offer.expires_at > utcnow(),
        )
        .order_by(Offer.expires_at)
    ).all()
    mine = select(Submission).options(load_only(*LIST_COLUMNS))
    in_progress = session.scalars(
        mine.where(
            Submission.reviewer_id == user.id, Submission.status == S.IN_REVIEW.value
        ).order_by(Submission.accepted_at)
    ).all()
    completed = session.scalars(
        mine.where(Submission.reviewer_id == user.id, Submission.status == S.COMPLETED.value)
        .order_by(Submission.completed_at.desc())
        .limit(recent)
    ).all()
    return ReviewerBoard(profile, list(offers), list(in_progress), list(completed))


@dataclass
class AdminBoard:
    by_status: dict[str, int]
    unmatched: list[Submission]
    pending_verifications: list[ExpertiseVerification]
    pending_count: int


def admin_board(session: Session, *, limit: int = 20) -> AdminBoard:
    unmatched = session.scalars(
        select(Submission)
        .options(load_only(*LIST_COLUMNS))
        .where(Submission.status == S.UNMATCHED.value)
        .order_by(Submission.status_changed_at)
        .limit(limit)
    ).all()
    pending = select(ExpertiseVerification).where(
        ExpertiseVerification.state == VerificationState.PENDING.value
    )
    pending_rows = session.scalars(
        pending.options(joinedload(ExpertiseVerification.profile))
        .order_by(ExpertiseVerification.created_at)
        .limit(limit)
    ).all()
    pending_count = session.scalar(select(func.count()).select_from(pending.subquery())) or 0
    return AdminBoard(status_counts(session), list(unmatched), list(pending_rows), pending_count)
