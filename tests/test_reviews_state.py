"""reviews.state: one state machine; each change is stamped, audited and causes its work."""

import pytest
from sqlalchemy import select

from models.audit import AuditEvent
from models.outbox import Outbox
from models.tickets import TicketStatus
from reviews.state import (
    JOBS_ON_ENTER,
    TRANSITIONS,
    Actor,
    IllegalTransition,
    can_transition,
    lock_ticket,
    transition,
)
from tests.support.factories import make_ticket, make_user

S = TicketStatus


def outbox_jobs(session, ticket_id: int) -> list[tuple[str, dict]]:
    rows = session.scalars(select(Outbox).order_by(Outbox.id)).all()
    return [(r.job, r.kwargs) for r in rows if r.kwargs.get("ticket_id") == ticket_id]


def test_a_new_ticket_is_submitted_and_its_intake_and_notification_are_queued(session):
    ticket = make_ticket(session, make_user(session))
    session.commit()
    assert ticket.status == S.SUBMITTED
    jobs = outbox_jobs(session, ticket.id)
    assert ("intake.jobs.process_submission", {"ticket_id": ticket.id}) in jobs
    assert any(
        j == "notify.jobs.ticket_event" and k["event"] == "ticket.submitted" for j, k in jobs
    )


def test_the_happy_path_stamps_every_status_change(session):
    ticket = make_ticket(session, make_user(session))
    for status in (S.SCANNING, S.MATCHING, S.OFFERED, S.IN_REVIEW, S.COMPLETED):
        transition(session, ticket, status)
    session.commit()
    assert ticket.status == S.COMPLETED
    stamps = [
        ticket.submitted_at,
        ticket.scanned_at,
        ticket.offered_at,
        ticket.accepted_at,
        ticket.completed_at,
    ]
    assert all(stamps) and stamps == sorted(stamps)


def test_each_change_writes_an_audit_event_with_the_previous_status_and_actor(session):
    user = make_user(session)
    ticket = make_ticket(session, user)
    transition(
        session,
        ticket,
        S.CANCELLED,
        actor=Actor(user_id=user.id, ip="203.0.113.9"),
        reason="No longer needed",
    )
    session.commit()
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "ticket.cancelled")).one()
    assert event.actor_id == user.id
    assert event.ip == "203.0.113.9"
    assert event.data == {"previous": "submitted", "reason": "No longer needed"}
    assert ticket.status_reason == "No longer needed"


def test_entering_matching_queues_the_matcher(session):
    ticket = make_ticket(session, make_user(session))
    transition(session, ticket, S.SCANNING)
    transition(session, ticket, S.MATCHING)
    session.commit()
    assert ("matching.jobs.match_ticket", {"ticket_id": ticket.id}) in outbox_jobs(
        session, ticket.id
    )


@pytest.mark.parametrize(
    "path, illegal",
    [
        ([], S.COMPLETED),
        ([], S.IN_REVIEW),
        ([S.CANCELLED], S.SCANNING),
        ([S.SCANNING, S.MATCHING, S.OFFERED, S.IN_REVIEW, S.COMPLETED], S.MATCHING),
    ],
)
def test_illegal_transitions_raise_and_change_nothing(session, path, illegal):
    ticket = make_ticket(session, make_user(session))
    for status in path:
        transition(session, ticket, status)
    session.commit()
    before_status = ticket.status
    before_rows = session.query(Outbox).count()
    with pytest.raises(IllegalTransition):
        transition(session, ticket, illegal)
    assert ticket.status == before_status
    assert session.query(Outbox).count() == before_rows
    assert not can_transition(ticket, illegal)


def test_the_state_machine_has_no_dead_ends_except_the_final_states():
    final = {S.COMPLETED, S.CANCELLED}
    for status in S:
        assert bool(TRANSITIONS[status]) == (status not in final), status
    assert set(JOBS_ON_ENTER) <= set(S)


def test_a_change_and_its_work_commit_or_roll_back_together(session):
    ticket = make_ticket(session, make_user(session))
    session.commit()
    before = session.query(Outbox).count()
    transition(session, ticket, S.SCANNING)
    session.rollback()
    session.expire_all()
    assert ticket.status == S.SUBMITTED
    assert session.query(Outbox).count() == before


def test_lock_ticket_reloads_the_current_row(session):
    ticket = make_ticket(session, make_user(session))
    session.commit()
    locked = lock_ticket(session, ticket.id)
    assert locked is ticket and locked.status == S.SUBMITTED
    assert lock_ticket(session, 999_999) is None
