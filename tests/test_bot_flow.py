"""bot.flow: one open ticket per pull request, however its triggers interleave."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot.flow import start_review
from bot.target import Target
from models.db import new_session
from models.tickets import Submission
from models.users import User
from tests.support.factories import make_user

TARGET = Target("github", "octo-org/octo-repo", 7)
HEAD = "a" * 40


def _start(session, owner_id: int, review_type: str) -> tuple[Submission, bool]:  # type: ignore[no-untyped-def]
    requester = session.get(User, owner_id)
    return start_review(
        session, TARGET, requester=requester, review_types=[review_type], text="", head_sha=HEAD
    )


def test_two_triggers_for_one_pull_request_processed_at_once_open_a_single_ticket(pg_url, session):
    owner = make_user(session, "dev@example.com")
    session.commit()
    first = new_session()
    ticket, created = _start(first, owner.id, "security")  # not committed yet
    assert created
    outcome: dict[str, tuple[str, bool]] = {}

    def second_trigger() -> None:
        other = new_session()
        try:
            found, opened = _start(other, owner.id, "performance")
            other.commit()
            outcome["second"] = (found.ticket_id, opened)
        finally:
            other.close()

    thread = threading.Thread(target=second_trigger)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive()  # it waits for the first trigger's transaction to end
    first.commit()
    first.close()
    thread.join(10)

    assert outcome["second"] == (ticket.ticket_id, False)
    count = select(func.count()).select_from(Submission).where(Submission.pr_number == 7)
    assert session.scalar(count) == 1


def test_a_trigger_after_the_ticket_closed_opens_a_new_one_for_the_same_pull_request(
    pg_url, session
):
    owner = make_user(session, "dev@example.com")
    session.commit()
    ticket, _ = _start(session, owner.id, "security")
    ticket.status = "cancelled"
    session.commit()

    again, created = _start(session, owner.id, "security")
    session.commit()

    assert created and again.ticket_id != ticket.ticket_id
