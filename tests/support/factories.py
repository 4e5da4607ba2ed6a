"""Creating the objects tests need, through the same code the product uses."""

from __future__ import annotations

from sqlalchemy.orm import Session

from accounts.users import create_user
from models.tickets import SourceKind, Submission
from models.users import User
from reviews.state import create_ticket

PASSWORD = "correct horse battery staple"


def make_user(
    session: Session,
    email: str = "dev@example.com",
    *roles: str,
    password: str = PASSWORD,
    name: str = "",
) -> User:
    return create_user(session, email, password=password, roles=list(roles) or None, name=name)


def make_ticket(session: Session, owner: User | None = None, **fields: object) -> Submission:
    ticket = Submission(
        owner_id=owner.id if owner else None,
        source=str(fields.pop("source", SourceKind.UPLOAD.value)),
        review_types=fields.pop("review_types", ["security"]),
        **fields,
    )
    return create_ticket(session, ticket)


def make_reviewer(
    session: Session,
    email: str = "rev@example.com",
    tags: list[str] | None = None,
    **profile: object,
) -> User:
    """A user with the reviewer role and a profile already verified for ``tags``."""
    from models.reviewers import ReviewerProfile

    user = make_user(session, email, "reviewer")
    tags = tags if tags is not None else ["security", "python"]
    handle = str(profile.pop("handle", email.split("@", 1)[0]))
    session.add(
        ReviewerProfile(
            user_id=user.id,
            handle=handle,
            expertise=list(tags),
            verified_tags=list(tags),
            **profile,
        )
    )
    session.flush()
    return user


def ticket_in_review(session: Session, owner: User, reviewer: User, **fields: object) -> Submission:
    """A ticket walked through the state machine up to ``in_review`` with ``reviewer`` assigned."""
    from models.base import utcnow
    from models.reviewers import ReviewerProfile
    from models.tickets import TicketStatus
    from reviews.state import transition

    ticket = make_ticket(session, owner, **fields)
    for status in (TicketStatus.SCANNING, TicketStatus.MATCHING, TicketStatus.OFFERED):
        transition(session, ticket, status)
    ticket.reviewer_id = reviewer.id
    transition(session, ticket, TicketStatus.IN_REVIEW)
    ticket.scanned_at = ticket.scanned_at or utcnow()
    profile = session.query(ReviewerProfile).filter_by(user_id=reviewer.id).one_or_none()
    if profile is not None:
        profile.open_reviews += 1
    session.flush()
    return ticket
