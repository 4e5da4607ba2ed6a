"""Arranging what notifications talk about: reviewers, offers, admins."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from models.base import utcnow
from models.offers import Offer
from models.reviewers import ReviewerProfile
from models.tickets import Submission
from models.users import User
from tests.support.factories import make_user


def make_reviewer(session: Session, email: str = "rev@example.com", name: str = "Rita") -> User:
    user = make_user(session, email, "reviewer", name=name)
    session.add(
        ReviewerProfile(user_id=user.id, handle=email.split("@")[0], verified_tags=["security"])
    )
    session.flush()
    return user


def make_offer(
    session: Session, ticket: Submission, reviewer: User, ttl: timedelta = timedelta(hours=24)
) -> Offer:
    offer = Offer(submission_id=ticket.id, reviewer_id=reviewer.id, expires_at=utcnow() + ttl)
    session.add(offer)
    session.flush()
    return offer
