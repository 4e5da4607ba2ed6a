"""Loading a ticket for a workspace page: anything the user may not see is a plain 404."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

import policy
from models.db import db
from models.tickets import Submission, normalise_ticket_id
from models.users import User
from web.current import current_user


def find_ticket(ticket_id: str) -> Submission | None:
    normalised = normalise_ticket_id(ticket_id)
    if not normalised:
        return None
    return db.scalar(select(Submission).where(Submission.ticket_id == normalised))


def code_ticket_or_404(ticket_id: str) -> tuple[Submission, User]:
    """The ticket and the user, when the user may open its code; 404 for everyone else."""
    user = current_user()
    ticket = find_ticket(ticket_id)
    if ticket is None or user is None or not policy.can_view_code(user, ticket):
        abort(404)
    return ticket, user
