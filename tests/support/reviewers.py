"""Reviewers for tests, made through the product's own verification code."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from matching.verification import create_verified_reviewer
from models.reviewers import ReviewerProfile
from tests.support.factories import make_user


def make_reviewer(
    session: Session,
    email: str,
    tags: list[str] | str = ("security", "python"),
    *,
    capacity: int = 3,
    **fields: Any,
) -> ReviewerProfile:
    """A reviewer verified for ``tags`` (by the system), with any profile fields overridden."""
    user = make_user(session, email, "reviewer")
    profile = create_verified_reviewer(
        session, user, list(tags), capacity=capacity, actor_label="test"
    )
    for name, value in fields.items():
        setattr(profile, name, value)
    session.flush()
    return profile
