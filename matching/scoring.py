"""How a candidate reviewer is scored, as SQL expressions the database evaluates.

Every component lies in [0, 1]; the score is their weighted sum, with the weights from settings
(``MATCH_WEIGHT_*``):

- coverage: the share of the ticket's detected languages/frameworks the reviewer is verified for
  (1 when nothing was detected);
- rating: the Bayesian average of the reviewer's ratings, ``(PRIOR_COUNT * PRIOR_MEAN + sum) /
  (PRIOR_COUNT + count)``, mapped from 1..5 to 0..1 — a newcomer starts at the prior, and a few
  5-star ratings do not outrank a long record of 4.8s;
- load: ``1 - open_reviews / capacity`` (fewer open reviews first);
- rotation: hours since the last offer (or since joining) over ``ROTATION_HORIZON_HOURS``, capped
  at 1 — who has waited longest comes first, which spreads work across equally good reviewers;
- timezone: 1 when "now" is inside the reviewer's working hours in their time zone, else 0
  (PostgreSQL; SQLite, the embedded default, counts it as a neutral 0.5);
- turnaround: ``1 / (1 + median_hours / 24)`` (0.5 for someone without a record yet).

Ties break on the earliest last offer, then the lowest profile id: the same inputs always pick
the same reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, String, and_, bindparam, case, cast, func, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from matching.tags import has_tag
from models.base import UTCDateTime
from models.reviewers import ReviewerProfile
from settings import Settings

P = ReviewerProfile
PRIOR_MEAN = 3.5
PRIOR_COUNT = 5
ROTATION_HORIZON_HOURS = 72.0
COMPONENTS = ("coverage", "rating", "load", "rotation", "timezone", "turnaround")


@dataclass(frozen=True)
class Weights:
    coverage: float
    rating: float
    load: float
    rotation: float
    timezone: float
    turnaround: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Weights:
        return cls(
            **{name: float(getattr(settings, f"match_weight_{name}")) for name in COMPONENTS}
        )

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in COMPONENTS}


def coverage(dialect: str, tags: list[Any]) -> ColumnElement[Any]:
    """``tags``: one bound parameter per detected tag (see ``matching.tags.has_tag``)."""
    if not tags:
        return literal(1.0, Float)
    hits = sum((case((has_tag(dialect, tag), 1.0), else_=0.0) for tag in tags), literal(0.0))
    return hits / float(len(tags))


def rating() -> ColumnElement[Any]:
    bayes = (PRIOR_COUNT * PRIOR_MEAN + cast(P.rating_sum, Float)) / (
        PRIOR_COUNT + cast(P.rating_count, Float)
    )
    return (bayes - 1.0) / 4.0


def load() -> ColumnElement[Any]:
    return 1.0 - cast(P.open_reviews, Float) / cast(P.capacity, Float)


def now_param(dialect: str) -> Any:
    """ "Now", bound at execution (``now_value``) so the statement can be compiled once."""
    if dialect == "postgresql":
        return bindparam("now", type_=UTCDateTime())
    return bindparam("now_text", type_=String())


def now_value(dialect: str, now: datetime) -> dict[str, Any]:
    return {"now": now} if dialect == "postgresql" else {"now_text": now.isoformat(sep=" ")}


def hours_since(dialect: str, column: Any, now: Any) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", now - column) / 3600.0
    return (func.julianday(now) - func.julianday(column)) * 24.0


def rotation(dialect: str, now: Any) -> ColumnElement[Any]:
    waited = hours_since(dialect, P.last_offered_at, now) / ROTATION_HORIZON_HOURS
    return case(
        (P.last_offered_at.is_(None), 1.0),
        (waited >= 1.0, 1.0),
        (waited <= 0.0, 0.0),
        else_=waited,
    )


def timezone(dialect: str, now: Any) -> ColumnElement[Any]:
    if dialect != "postgresql":
        return literal(0.5, Float)
    hour = func.extract("hour", func.timezone(P.timezone, now))
    inside = or_(
        and_(
            P.work_start_hour <= P.work_end_hour, hour >= P.work_start_hour, hour < P.work_end_hour
        ),
        and_(
            P.work_start_hour > P.work_end_hour,
            or_(hour >= P.work_start_hour, hour < P.work_end_hour),
        ),
    )
    return case((inside, 1.0), else_=0.0)


def turnaround() -> ColumnElement[Any]:
    return case(
        (P.median_turnaround_hours.is_(None), 0.5),
        else_=1.0 / (1.0 + P.median_turnaround_hours / 24.0),
    )


def component_columns(dialect: str, tags: list[Any], now: Any) -> dict[str, ColumnElement[Any]]:
    return {
        "coverage": coverage(dialect, tags),
        "rating": rating(),
        "load": load(),
        "rotation": rotation(dialect, now),
        "timezone": timezone(dialect, now),
        "turnaround": turnaround(),
    }


def explain(
    components: dict[str, float], weights: Weights, matched_tags: list[str]
) -> dict[str, Any]:
    """What the reviewer (and the admin) see as the reason for a match."""
    parts = {name: round(float(components[name]), 3) for name in COMPONENTS}
    total = sum(parts[name] * getattr(weights, name) for name in COMPONENTS)
    return {
        "score": round(total, 3),
        "components": parts,
        "weights": weights.as_dict(),
        "matched_tags": matched_tags,
        "summary": summarise(parts, matched_tags),
    }


def summarise(parts: dict[str, float], matched_tags: list[str]) -> list[str]:
    reasons = []
    if matched_tags:
        reasons.append("Verified for " + ", ".join(matched_tags))
    if parts["coverage"] >= 0.999:
        reasons.append("covers every detected language and framework")
    elif parts["coverage"] > 0:
        reasons.append(f"covers {round(parts['coverage'] * 100)}% of the detected stack")
    if parts["load"] >= 0.999:
        reasons.append("has no open reviews")
    if parts["rotation"] >= 0.999:
        reasons.append("has waited longest for a new request")
    if parts["timezone"] >= 0.999:
        reasons.append("is inside working hours now")
    if parts["rating"] >= 0.75:
        reasons.append("is highly rated")
    return reasons
