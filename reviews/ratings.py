"""Rating a completed review: once per ticket, editable for a week, then final."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.outbox import enqueue
from models.audit import record_audit
from models.base import utcnow
from models.reviews import Rating
from models.tickets import Submission, TicketStatus
from reviews.stats import rating_changed

EDIT_WINDOW = timedelta(days=7)
MAX_COMMENT_CHARS = 5_000


class RatingError(ValueError):
    """The rating cannot be accepted; the message says why, for the developer."""


def _score(value: int | None, label: str, required: bool = False) -> int | None:
    if value is None:
        if required:
            raise RatingError(f"Please give {label} from 1 to 5.")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise RatingError(f"{label.capitalize()} must be a whole number from 1 to 5.")
    return value


def rating_for(session: Session, ticket: Submission) -> Rating | None:
    return session.scalar(select(Rating).where(Rating.submission_id == ticket.id))


def is_final(rating: Rating) -> bool:
    return rating.final_at is not None or utcnow() - rating.created_at > EDIT_WINDOW


def rate_ticket(
    session: Session,
    ticket: Submission,
    rater_id: int,
    score: int,
    *,
    helpfulness: int | None = None,
    depth: int | None = None,
    clarity: int | None = None,
    comment: str | None = None,
    show_submitter: bool = False,
    origin: str = "web",
) -> Rating:
    """Create or edit the ticket's rating and keep the reviewer's aggregate right."""
    if ticket.owner_id is None or ticket.owner_id != rater_id:
        raise RatingError("Only the developer who requested this review can rate it.")
    if ticket.status != TicketStatus.COMPLETED.value or ticket.reviewer_id is None:
        raise RatingError("A review can be rated once it is completed.")
    score = _score(score, "a rating", required=True)  # type: ignore[assignment]
    extra = {
        "helpfulness": _score(helpfulness, "helpfulness"),
        "depth": _score(depth, "depth"),
        "clarity": _score(clarity, "clarity"),
    }
    comment = (comment or "").strip() or None
    if comment and len(comment) > MAX_COMMENT_CHARS:
        raise RatingError("The comment is too long (at most 5,000 characters).")

    rating = rating_for(session, ticket)
    if rating is not None:
        if is_final(rating):
            raise RatingError(
                "Ratings can be changed for a week after they are given; this one is now final."
            )
        rating_changed(session, ticket.reviewer_id, score - rating.score, 0)
        action = "rating.edit"
    else:
        rating = Rating(
            submission_id=ticket.id,
            reviewer_id=ticket.reviewer_id,
            rater_id=rater_id,
            origin=origin,
        )
        rating_changed(session, ticket.reviewer_id, score, 1)
        action = "rating.create"
    rating.score = score
    rating.helpfulness, rating.depth, rating.clarity = (
        extra["helpfulness"],
        extra["depth"],
        extra["clarity"],
    )
    rating.comment = comment
    rating.show_submitter = bool(show_submitter)
    session.add(rating)
    session.flush()
    record_audit(
        session,
        action,
        actor_id=rater_id,
        object_type="ticket",
        object_id=ticket.ticket_id,
        score=score,
        origin=origin,
    )
    if action == "rating.create":
        enqueue(
            session,
            "notify.jobs.notify_event",
            key=f"rating.received:{rating.id}",
            event="rating.received",
            rating_id=rating.id,
        )
    return rating
