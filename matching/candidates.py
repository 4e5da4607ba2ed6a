"""The candidate query: who may review a ticket, best first, decided inside the database.

Two steps. The *pool* applies the hard filters and takes the ``POOL_SIZE`` eligible reviewers who
have waited longest since their last offer. The *ranking* scores only that pool in SQL (see
``matching.scoring``) and returns the best few. The work is bounded by the pool, not by the number
of reviewers, so choosing stays fast as the platform grows.

On PostgreSQL the planner picks the pool's access path from its statistics: for common tags it
walks the partial rotation index (``ix_reviewer_profiles_rotation``: available reviewers with
room, longest-waiting first) and stops after ``POOL_SIZE`` matches; for rare tags it asks the GIN
index on ``verified_tags`` (``@>`` / ``?|``) and sorts the few it finds. Both statements are
built once per ticket shape, with bound parameters.

Hard filters: verified for every requested review type, and for at least one detected language
or framework when any were detected; available and not away; room under capacity (open reviews
plus unanswered offers); an active account; not the submitter; not someone who declined, let
expire, was withdrawn from, or already holds an offer for this ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Float, Text, and_, bindparam, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Session

from matching.scoring import COMPONENTS, Weights, component_columns, explain, now_param, now_value
from matching.tags import has_all, has_any, sql_tag_value, stack_tags
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


def excluded_users(session: Session, ticket: Submission) -> list[int]:
    """The submitter and everyone whose offer for this ticket rules them out (a short list)."""
    excluded = [ticket.owner_id] if ticket.owner_id is not None else []
    if ticket.id is not None:
        excluded += session.scalars(
            select(Offer.reviewer_id).where(
                Offer.submission_id == ticket.id, Offer.status.in_(EXCLUDING_OFFERS)
            )
        )
    return sorted(set(excluded))


def eligibility(dialect: str, n_types: int, n_stack: int, source: Any = P) -> list[Any]:
    """The hard filters (but the account check) as SQL on ``source``, with bound parameters."""
    now = now_param(dialect)
    conditions: list[Any] = [
        source.available,
        source.open_reviews + source.pending_offers < source.capacity,
        or_(source.away_until.is_(None), source.away_until <= now),
        source.user_id.not_in(bindparam("excluded", expanding=True)),
    ]
    if n_types:
        conditions.append(has_all(dialect, type_params(dialect, n_types), source.verified_tags))
    if n_stack:
        conditions.append(has_any(dialect, stack_params(dialect, n_stack), source.verified_tags))
    return conditions


def type_params(dialect: str, n: int) -> list[Any]:
    if dialect == "postgresql":
        return [bindparam("types", type_=JSONB)]
    return [bindparam(f"type_{i}", type_=Text) for i in range(n)]


def stack_params(dialect: str, n: int) -> list[Any]:
    if dialect == "postgresql":
        return [bindparam("stack", type_=ARRAY(Text))]
    return [bindparam(f"stack_{i}", type_=Text) for i in range(n)]


@lru_cache(maxsize=256)
def statements(dialect: str, n_types: int, n_stack: int) -> tuple[Any, Any]:
    """The pool and ranking statements for one shape of ticket, built once."""
    pool = (
        select(P.id)
        .where(and_(*eligibility(dialect, n_types, n_stack)))
        .order_by(P.last_offered_at, P.id)
        .limit(POOL_SIZE)
    )
    coverage_tags = [bindparam(f"cover_{i}", type_=Text) for i in range(n_stack)]
    parts = component_columns(dialect, coverage_tags, now_param(dialect))
    score = sum(
        (parts[name] * bindparam(f"w_{name}", type_=Float) for name in COMPONENTS),
        literal(0.0, Float),
    )
    ranking = (
        select(
            P.id,
            P.user_id,
            P.verified_tags,
            score.label("score"),
            *(parts[name].label(name) for name in COMPONENTS),
            select(User.is_active).where(User.id == P.user_id).scalar_subquery().label("active"),
        )
        .where(P.id.in_(bindparam("ids", expanding=True)))
        .order_by(score.desc(), P.last_offered_at, P.id)
    )
    return pool, ranking


def parameters(
    dialect: str, ticket: Submission, weights: Weights, now: datetime, excluded: list[int]
) -> dict[str, Any]:
    types = requested_types(ticket)
    stack = stack_tags(ticket.languages, ticket.frameworks)
    params: dict[str, Any] = {"excluded": excluded, **now_value(dialect, now)}
    params.update({f"w_{name}": getattr(weights, name) for name in COMPONENTS})
    params.update({f"cover_{i}": sql_tag_value(dialect, tag) for i, tag in enumerate(stack)})
    if dialect == "postgresql":
        params["types"], params["stack"] = types, stack
    else:
        params.update({f"type_{i}": sql_tag_value(dialect, t) for i, t in enumerate(types)})
        params.update({f"stack_{i}": sql_tag_value(dialect, t) for i, t in enumerate(stack)})
    return params


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
    types = requested_types(ticket)
    stack = stack_tags(ticket.languages, ticket.frameworks)
    pool, ranking = statements(dialect, len(types), len(stack))
    params = parameters(dialect, ticket, weights, now, excluded_users(session, ticket))
    ids = list(session.scalars(pool, params))
    if not ids:
        return []
    rows = [row for row in session.execute(ranking, {**params, "ids": ids}) if row.active][:limit]
    wanted = [*types, *stack]
    result = []
    for row in rows:
        verified = set(row.verified_tags or [])
        components = {name: float(getattr(row, name)) for name in COMPONENTS}
        result.append(
            Candidate(
                profile_id=row.id,
                user_id=row.user_id,
                score=round(float(row.score), 6),
                explanation=explain(components, weights, [t for t in wanted if t in verified]),
            )
        )
    return result


def has_candidate(session: Session, ticket: Submission, now: datetime | None = None) -> bool:
    """Whether anyone passes the hard filters now."""
    weights = Weights(**dict.fromkeys(COMPONENTS, 1.0))
    return bool(find_candidates(session, ticket, weights, limit=1, now=now))
