"""The workspace panel a ticket page shows: code link, comments, feedback, files, rating.

Registered as the template global ``workspace_panel(ticket)`` so the intake helper's ticket page
can include ``workspace/_ticket_panel.html`` without knowing what is inside; it answers ``None``
(and the partial renders nothing) for anyone who may not open the ticket's code.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

import policy
from models.db import db
from models.reviews import Attachment, Feedback, Rating, ReviewComment
from models.tickets import Submission
from reviews.attachments import KINDS, attachments_for
from reviews.completion import VERDICTS
from reviews.ratings import is_final
from web.current import current_user


@dataclass
class Panel:
    ticket: Submission
    comment_total: int
    comment_open: int
    by_category: dict[str, int]
    feedback: Feedback | None
    attachments: list[Attachment]
    rating: Rating | None
    can_attach: bool
    can_write_feedback: bool
    can_rate: bool
    rating_editable: bool
    is_owner: bool
    attachment_kinds: tuple[str, ...] = tuple(KINDS)
    verdicts: dict[str, str] = field(default_factory=lambda: dict(VERDICTS))


def rating_editable(rating: Rating | None) -> bool:
    return rating is None or not is_final(rating)


def build_panel(ticket: Submission | None) -> Panel | None:
    user = current_user()
    if (
        ticket is None
        or not isinstance(ticket, Submission)
        or not policy.can_view_code(user, ticket)
    ):
        return None
    roots = db.execute(
        select(ReviewComment.category, ReviewComment.resolved).where(
            ReviewComment.submission_id == ticket.id, ReviewComment.parent_id.is_(None)
        )
    ).all()
    rating = db.scalar(select(Rating).where(Rating.submission_id == ticket.id))
    can_rate = policy.can_rate(user, ticket) and rating_editable(rating)
    return Panel(
        ticket=ticket,
        comment_total=len(roots),
        comment_open=sum(1 for _, resolved in roots if not resolved),
        by_category=dict(Counter(category for category, _ in roots)),
        feedback=db.scalar(select(Feedback).where(Feedback.submission_id == ticket.id)),
        attachments=attachments_for(db, ticket),
        rating=rating,
        can_attach=policy.can_attach(user, ticket),
        can_write_feedback=policy.can_write_feedback(user, ticket),
        can_rate=can_rate,
        rating_editable=rating_editable(rating),
        is_owner=policy.is_owner(user, ticket),
    )


def panel_global(ticket: Any = None) -> Panel | None:
    return build_panel(ticket)
