"""The event catalogue: every contract event has recipients, labels and e-mail templates."""

from __future__ import annotations

from notify.events import CATALOGUE, DIGEST_EVENT, PREFERENCE_LABELS, admins, messages_for
from notify.rendering import TEMPLATE_DIR, template_names
from tests.support.factories import make_ticket, make_user

CONTRACT_EVENTS = {
    "offer.created",
    "offer.declined",
    "offer.expired",
    "rating.received",
    "verification.decided",
    "ticket.fetch_failed",
    "ticket.scan_failed",
    "ticket.submitted",
    "ticket.offered",
    "ticket.in_review",
    "ticket.completed",
    "ticket.unmatched",
    "ticket.rejected",
    "ticket.cancelled",
}


def test_every_contract_event_is_catalogued():
    assert set(CATALOGUE) == CONTRACT_EVENTS


def test_every_emailed_event_has_a_text_and_an_html_template():
    emailed = [name for name, spec in CATALOGUE.items() if not spec.digest] + [DIGEST_EVENT]
    for event in emailed:
        for name in template_names(event):
            assert (TEMPLATE_DIR / name).is_file(), name
    assert set(PREFERENCE_LABELS) == set(emailed)


def test_only_active_admins_are_admins(session):
    make_user(session, "dev@example.com")
    boss = make_user(session, "boss@example.com", "admin")
    gone = make_user(session, "gone@example.com", "admin", "reviewer")
    gone.is_active = False
    session.flush()
    assert [u.email for u in admins(session)] == [boss.email]


def test_events_about_missing_objects_tell_nobody(session):
    assert messages_for(session, "ticket.completed", {"ticket_id": 4242}) == []
    assert messages_for(session, "rating.received", {"rating_id": 4242}) == []
    assert messages_for(session, "no.such.event", {}) == []


def test_a_ticket_without_an_owner_or_reviewer_tells_nobody(session):
    ticket = make_ticket(session, None)
    session.flush()
    assert messages_for(session, "ticket.completed", {"ticket_id": ticket.id}) == []


def test_a_retried_submission_is_not_announced_again(session):
    dev = make_user(session, "dev@example.com")
    ticket = make_ticket(session, dev)
    session.flush()
    [first] = messages_for(session, "ticket.submitted", {"ticket_id": ticket.id})
    assert first.user_id == dev.id and first.link == f"/tickets/{ticket.ticket_id}"
    retry = {"ticket_id": ticket.id, "previous": "scanning"}
    assert messages_for(session, "ticket.submitted", retry) == []


def test_a_scan_failure_is_told_unless_the_rejection_already_gave_the_reason(session):
    from reviews.state import transition

    dev = make_user(session, "dev@example.com")
    ticket = make_ticket(session, dev)
    transition(session, ticket, "scanning")
    session.flush()
    [waiting] = messages_for(session, "ticket.scan_failed", {"ticket_id": ticket.id})
    assert "could not finish" in waiting.title
    transition(session, ticket, "rejected", reason="Malware detected: Eicar-Test-Signature")
    session.flush()
    assert messages_for(session, "ticket.scan_failed", {"ticket_id": ticket.id}) == []


def test_a_rescan_during_review_tells_only_the_reviewer_that_new_code_is_ready(session):
    from tests.support.notify import make_reviewer

    dev = make_user(session, "dev@example.com")
    rev = make_reviewer(session)
    ticket = make_ticket(session, dev, reviewer_id=rev.id)
    session.flush()
    ids = {"ticket_id": ticket.id, "previous": "scanning"}
    [message] = messages_for(session, "ticket.in_review", ids)
    assert message.user_id == rev.id and "Updated code" in message.title
    started = messages_for(
        session, "ticket.in_review", {"ticket_id": ticket.id, "previous": "offered"}
    )
    assert sorted(m.user_id for m in started) == sorted([dev.id, rev.id])
