"""The ticket state machine: the one place a ticket's status changes.

Each transition records its time, writes an audit event, and writes the outbox rows for the
work and notifications it causes, all in the caller's transaction: either the change and its
consequences are stored together, or neither is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.outbox import enqueue
from models.audit import record_audit
from models.base import utcnow
from models.tickets import Submission, TicketStatus

S = TicketStatus

TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.SUBMITTED: frozenset({S.SCANNING, S.REJECTED, S.CANCELLED}),
    S.SCANNING: frozenset({S.SUBMITTED, S.MATCHING, S.IN_REVIEW, S.REJECTED, S.CANCELLED}),
    S.MATCHING: frozenset({S.OFFERED, S.UNMATCHED, S.SCANNING, S.CANCELLED}),
    S.OFFERED: frozenset({S.IN_REVIEW, S.MATCHING, S.UNMATCHED, S.SCANNING, S.CANCELLED}),
    S.UNMATCHED: frozenset({S.MATCHING, S.SCANNING, S.CANCELLED}),
    S.IN_REVIEW: frozenset({S.COMPLETED, S.MATCHING, S.SCANNING, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.REJECTED: frozenset({S.SUBMITTED}),
    S.CANCELLED: frozenset(),
}

# The timestamp column each status stamps when entered.
STAMPS: dict[TicketStatus, str] = {
    S.SUBMITTED: "submitted_at",
    S.MATCHING: "scanned_at",
    S.OFFERED: "offered_at",
    S.IN_REVIEW: "accepted_at",
    S.COMPLETED: "completed_at",
    S.REJECTED: "rejected_at",
    S.CANCELLED: "cancelled_at",
    S.UNMATCHED: "unmatched_at",
}

# Work that entering a status causes: dotted job names, each called with ``ticket_id=``.
JOBS_ON_ENTER: dict[TicketStatus, tuple[str, ...]] = {
    S.SUBMITTED: ("intake.jobs.process_submission",),
    S.MATCHING: ("matching.jobs.match_ticket",),
}

# Every transition also emits ``ticket.<status>`` to these handlers (notifications, forges).
EVENT_HANDLERS: tuple[str, ...] = (
    "notify.jobs.ticket_event",
    "matching.jobs.ticket_event",
    "bot.jobs.ticket_event",
)


class IllegalTransition(ValueError):
    """The ticket cannot go from its status to the one asked for."""


@dataclass(frozen=True)
class Actor:
    """Who caused a change, for the audit log (``None`` fields mean the system)."""

    user_id: int | None = None
    label: str | None = None
    ip: str | None = None


SYSTEM = Actor(label="system")


def lock_ticket(session: Session, ticket_id: int) -> Submission | None:
    """Load a ticket with a row lock (PostgreSQL) so concurrent jobs change it one at a time."""
    query = select(Submission).where(Submission.id == ticket_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def can_transition(ticket: Submission, to: TicketStatus) -> bool:
    return TicketStatus(to) in TRANSITIONS[TicketStatus(ticket.status)]


def _emit(
    session: Session, ticket: Submission, status: TicketStatus, extra: dict[str, Any]
) -> None:
    for job in JOBS_ON_ENTER.get(status, ()):
        enqueue(session, job, ticket_id=ticket.id)
    for handler in EVENT_HANDLERS:
        enqueue(session, handler, ticket_id=ticket.id, event=f"ticket.{status.value}", **extra)


def transition(
    session: Session,
    ticket: Submission,
    to: TicketStatus | str,
    *,
    actor: Actor = SYSTEM,
    reason: str | None = None,
    **event_data: Any,
) -> None:
    """Move ``ticket`` to ``to`` and write the audit event and outbox rows for it.

    Raises ``IllegalTransition`` and changes nothing when the move is not allowed.
    ``event_data`` (JSON values) travels with the emitted event to its handlers.
    """
    target = TicketStatus(to)
    current = TicketStatus(ticket.status)
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(f"{ticket.ticket_id}: cannot go from {current} to {target}")
    now = utcnow()
    ticket.status = target.value
    ticket.status_changed_at = now
    ticket.status_reason = reason
    if target in STAMPS:
        setattr(ticket, STAMPS[target], now)
    record_audit(
        session,
        f"ticket.{target.value}",
        actor_id=actor.user_id,
        actor_label=actor.label,
        ip=actor.ip,
        object_type="ticket",
        object_id=ticket.ticket_id,
        previous=current.value,
        reason=reason,
    )
    session.flush()
    _emit(session, ticket, target, {"previous": current.value, **event_data})


def create_ticket(session: Session, ticket: Submission, *, actor: Actor = SYSTEM) -> Submission:
    """Store a new ticket in ``submitted`` and emit what entering that status causes."""
    ticket.status = TicketStatus.SUBMITTED.value
    ticket.submitted_at = ticket.status_changed_at = utcnow()
    session.add(ticket)
    session.flush()
    record_audit(
        session,
        "ticket.submitted",
        actor_id=actor.user_id,
        actor_label=actor.label,
        ip=actor.ip,
        object_type="ticket",
        object_id=ticket.ticket_id,
        source=ticket.source,
    )
    _emit(session, ticket, TicketStatus.SUBMITTED, {})
    return ticket
