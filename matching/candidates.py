"""The candidate query: who may review a ticket, best first, decided inside the database.

Two steps in one statement. The *pool* applies the hard filters and takes the ``POOL_SIZE``
eligible reviewers who have waited longest since their last offer, walking the partial rotation
index (PostgreSQL: ``ix_reviewer_profiles_rotation``, whose predicate is "available and has
room"), or the GIN index on ``verified_tags`` when the requested tags are rare. The *ranking* then
scores only that pool (see ``matching.scoring``) and returns the best few. The work is bounded by
the pool, not by the number of reviewers, so choosing stays fast as the platform grows.

Hard filters: verified for every requested review type, and for at least one detected language
or framework when any were detected; available and not away; room under capacity (open reviews
plus unanswered offers); an active account; not the submitter; not someone who declined, let
expire, was withdrawn from, or already holds an offer for this ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from matching.scoring import COMPONENTS, Weights, component_columns, explain
from matching.tags import has_all, has_any, stack_tags
from models.base import utcnow
from models.offers import Offer, OfferStatus
from models.reviewers import REVIEW_TYPES, ReviewerProfile
from models.tickets import Submission
from models.users import User

P = ReviewerProfile
POOL_SIZE = 64
# Offers that rule a reviewer out for the same ticket: they said no, let it lapse, lost the
# verification it relied on, or are holding it right now.
EXCLUDING_OFFERS = (
    OfferStatus.OFFERED.value,
    OfferStatus.DECLINED.value,
    OfferStatus.EXPIRED.value,
    OfferStatus.WITHDRAWN.value,
)


@dataclass(frozen=True)
class Candidate:
    profile_id: int
    user_id: int
    score: float
    explanation: dict[str, Any]


def requested_types(ticket: Submission) -> list[str]:
    types = [t for t in (ticket.review_types or []) if t in REVIEW_TYPES]
    return sorted(set(types))


def eligibility(
    dialect: str, ticket: Submission, now: datetime, *, check_offers: bool = True
) -> list[Any]:
    """The hard filters as SQL conditions on ``reviewer_profiles``."""
    conditions: list[Any] = [
        P.available.is_(True),
        P.open_reviews + P.pending_offers < P.capacity,
        or_(P.away_until.is_(None), P.away_until <= now),
        exists().where(User.id == P.user_id, User.is_active.is_(True)),
    ]
    types = requested_types(ticket)
    if types:
        conditions.append(has_all(dialect, types))
    stack = stack_tags(ticket.languages, ticket.frameworks)
    if stack:
        conditions.append(has_any(dialect, stack))
    if ticket.owner_id is not None:
        conditions.append(P.user_id != ticket.owner_id)
    if check_offers and ticket.id is not None:
        conditions.append(
            ~exists().where(
                Offer.submission_id == ticket.id,
                Offer.reviewer_id == P.user_id,
                Offer.status.in_(EXCLUDING_OFFERS),
            )
        )
    return conditions


def candidate_query(
    dialect: str, ticket: Submission, weights: Weights, now: datetime, limit: int
) -> Select[Any]:
    pool = (
        select(P.id)
        .where(and_(*eligibility(dialect, ticket, now)))
        .order_by(P.last_offered_at, P.id)
        .limit(POOL_SIZE)
        .scalar_subquery()
    )
    stack = stack_tags(ticket.languages, ticket.frameworks)
    parts = component_columns(dialect, stack, now)
    score = sum((parts[name] * getattr(weights, name) for name in COMPONENTS), 0.0)
    return (
        select(
            P.id,
            P.user_id,
            P.verified_tags,
            score.label("score"),
            *(parts[name].label(name) for name in COMPONENTS),
        )
        .where(P.id.in_(pool))
        .order_by(score.desc(), P.last_offered_at, P.id)
        .limit(limit)
    )


def find_candidates(
    session: Session,
    ticket: Submission,
    weights: Weights,
    *,
    limit: int = 5,
    now: datetime | None = None,
) -> list[Candidate]:
    """The best ``limit`` eligible reviewers for ``ticket``, best first, with their reasons."""
    now = now or utcnow()
    dialect = session.get_bind().dialect.name
    rows = session.execute(candidate_query(dialect, ticket, weights, now, limit)).all()
    wanted = [*requested_types(ticket), *stack_tags(ticket.languages, ticket.frameworks)]
    result = []
    for row in rows:
        verified = set(row.verified_tags or [])
        matched = [tag for tag in wanted if tag in verified]
        components = {name: float(getattr(row, name)) for name in COMPONENTS}
        result.append(
            Candidate(
                profile_id=row.id,
                user_id=row.user_id,
                score=round(float(row.score), 6),
                explanation=explain(components, weights, matched),
            )
        )
    return result


def has_candidate(session: Session, ticket: Submission, now: datetime | None = None) -> bool:
    """Whether anyone passes the hard filters now (cheap: stops at the first row)."""
    dialect = session.get_bind().dialect.name
    query = select(P.id).where(and_(*eligibility(dialect, ticket, now or utcnow()))).limit(1)
    return session.scalar(query) is not None
