"""matching.verification: per-tag decisions, what the matcher sees, and revocation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matching.jobs import match_ticket
from matching.verification import (
    VerificationError,
    decide_tag,
    ensure_profile,
    request_tags,
    revoke_tag,
)
from models.audit import AuditEvent
from models.offers import Offer
from models.outbox import Outbox
from reviews.state import transition
from tests.support.factories import make_ticket, make_user
from tests.support.reviewers import make_reviewer


def decided_events(session):
    rows = session.scalars(select(Outbox).where(Outbox.job == "notify.jobs.notify_event"))
    return [r.kwargs for r in rows if r.kwargs["event"] == "verification.decided"]


def test_only_approved_tags_count_and_each_decision_is_sent_to_the_applicant(pg_url, session):
    admin = make_user(session, "admin@example.com", "admin")
    profile = ensure_profile(session, make_user(session, "app@example.com"))
    request_tags(session, profile, ["security", "python", "go"])
    assert profile.verified_tags == []
    decide_tag(session, profile, "security", approve=True, admin_id=admin.id)
    decide_tag(session, profile, "python", approve=True, admin_id=admin.id)
    decide_tag(session, profile, "go", approve=False, admin_id=admin.id, reason="No Go history")
    session.commit()
    assert profile.verified_tags == ["python", "security"]
    assert profile.user.has_role("reviewer")
    assert {e["tag"] for e in decided_events(session)} == {"security", "python", "go"}
    go = next(v for v in profile.verifications if v.tag == "go")
    assert (go.state, go.reason, go.decided_by_id) == ("rejected", "No Go history", admin.id)


def test_a_rejection_needs_a_reason(pg_url, session):
    profile = ensure_profile(session, make_user(session, "app@example.com"))
    with pytest.raises(VerificationError, match="reason"):
        decide_tag(session, profile, "security", approve=False, admin_id=None, reason=" ")


def test_revocation_withdraws_open_offers_that_relied_on_the_tag(pg_url, session, settings):
    admin = make_user(session, "admin@example.com", "admin")
    profile = make_reviewer(session, "rev@example.com", ["security", "performance"])
    other = make_reviewer(session, "other@example.com", ["security"])
    owner = make_user(session, "dev@example.com")
    tickets = []
    for types in (["security"], ["performance"]):
        ticket = make_ticket(session, owner, review_types=types)
        transition(session, ticket, "scanning")
        transition(session, ticket, "matching")
        session.commit()
        tickets.append(ticket)
    # The performance ticket can only go to ``profile``; make sure the security one does too.
    other.available = False
    session.commit()
    for ticket in tickets:
        assert match_ticket(ticket.id, settings) == "offered"
    withdrawn = revoke_tag(session, profile, "performance", admin_id=admin.id, reason="Expired")
    session.commit()
    offers = {o.submission_id: o for o in session.scalars(select(Offer))}
    assert offers[tickets[1].id].status == "withdrawn" and withdrawn == [offers[tickets[1].id].id]
    assert offers[tickets[0].id].status == "offered"  # still qualified for security
    session.refresh(profile)
    session.refresh(tickets[1])
    assert profile.verified_tags == ["security"] and profile.pending_offers == 1
    assert tickets[1].status == "matching"
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "verification.revoked"))
    with pytest.raises(VerificationError, match="not verified"):
        revoke_tag(session, profile, "performance", admin_id=admin.id, reason="again")
