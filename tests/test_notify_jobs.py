"""Notification jobs: who is told, once per occurrence, by e-mail when they want it."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jobs.dispatch import drain
from jobs.outbox import enqueue
from models.base import utcnow
from models.notifications import EmailDelivery, Notification, NotificationPreference
from models.outbox import Outbox
from models.reviewers import ExpertiseVerification, ReviewerProfile
from models.reviews import Rating
from models.tickets import TicketStatus
from notify import jobs
from reviews.state import transition
from tests.support.factories import make_ticket, make_user
from tests.support.notify import make_offer, make_reviewer

S = TicketStatus


def alerts(session, user=None, event=None):
    query = select(Notification).order_by(Notification.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    if event is not None:
        query = query.where(Notification.event == event)
    session.expire_all()
    return session.scalars(query).all()


def deliveries(session, event=None):
    session.expire_all()
    query = select(EmailDelivery).order_by(EmailDelivery.id)
    if event is not None:
        query = query.where(EmailDelivery.event == event)
    return session.scalars(query).all()


def mails(settings):
    directory = Path(settings.mail_dir)
    files = sorted(directory.glob("*.eml")) if directory.exists() else []
    return [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]


def move(session, ticket, *statuses, **data):
    for status in statuses:
        transition(session, ticket, status, **data)
    session.commit()


@pytest.fixture
def people(session):
    dev = make_user(session, "dev@example.com", name="Dana")
    rev = make_reviewer(session)
    admin = make_user(session, "admin@example.com", "admin", name="Ada")
    session.commit()
    return dev, rev, admin


def test_a_new_ticket_alerts_its_owner_on_site_and_by_email(session, settings, people):
    dev, _, _ = people
    ticket = make_ticket(session, dev)
    session.commit()
    drain(settings)

    [alert] = alerts(session, dev)
    assert alert.event == "ticket.submitted"
    assert ticket.ticket_id in alert.title
    assert alert.link == f"/tickets/{ticket.ticket_id}"
    [delivery] = deliveries(session)
    assert delivery.status == "sent" and delivery.to_address == "dev@example.com"
    [mail] = mails(settings)
    assert mail["To"] == "dev@example.com"
    assert f"[{ticket.ticket_id}]" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert f"http://localhost/tickets/{ticket.ticket_id}" in text


def test_running_the_event_job_again_creates_no_new_alert_or_email(session, settings, people):
    dev, _, _ = people
    ticket = make_ticket(session, dev)
    session.commit()
    drain(settings)
    for _ in range(3):
        jobs.ticket_event(ticket_id=ticket.id, event="ticket.submitted")
        enqueue(session, "notify.jobs.ticket_event", ticket_id=ticket.id, event="ticket.submitted")
        session.commit()
        drain(settings)

    assert len(alerts(session, dev)) == 1
    assert len(deliveries(session)) == 1
    assert len(mails(settings)) == 1


def test_review_started_tells_the_developer_and_the_reviewer(session, settings, people):
    dev, rev, _ = people
    ticket = make_ticket(session, dev)
    move(session, ticket, S.SCANNING, S.MATCHING, S.OFFERED)
    ticket.reviewer_id = rev.id
    move(session, ticket, S.IN_REVIEW)
    drain(settings)

    assert [a.event for a in alerts(session, dev)] == [
        "ticket.submitted",
        "ticket.offered",
        "ticket.in_review",
    ]
    [started] = alerts(session, rev, "ticket.in_review")
    assert ticket.ticket_id in started.title
    assert "Rita" in alerts(session, dev, "ticket.in_review")[0].body


def test_entering_the_same_status_twice_notifies_each_time_once(session, settings, people):
    dev, rev, _ = people
    ticket = make_ticket(session, dev)
    move(session, ticket, S.SCANNING, S.MATCHING, S.UNMATCHED, S.MATCHING, S.UNMATCHED)
    drain(settings)
    drain(settings)

    assert len(alerts(session, dev, "ticket.unmatched")) == 2
    assert len(deliveries(session, "ticket.unmatched")) == 2


def test_completion_tells_both_and_cancellation_tells_the_assigned_reviewer(
    session, settings, people
):
    dev, rev, _ = people
    done = make_ticket(session, dev)
    move(session, done, S.SCANNING, S.MATCHING, S.OFFERED)
    done.reviewer_id = rev.id
    move(session, done, S.IN_REVIEW, S.COMPLETED)
    dropped = make_ticket(session, dev)
    move(session, dropped, S.SCANNING, S.MATCHING, S.OFFERED)
    dropped.reviewer_id = rev.id
    move(session, dropped, S.IN_REVIEW)
    transition(session, dropped, S.CANCELLED, reason="No longer needed.")
    session.commit()
    drain(settings)

    assert len(alerts(session, dev, "ticket.completed")) == 1
    assert len(alerts(session, rev, "ticket.completed")) == 1
    [cancelled] = alerts(session, rev, "ticket.cancelled")
    assert "No longer needed." in cancelled.body
    assert len(alerts(session, dev, "ticket.cancelled")) == 1


def test_a_rejected_submission_tells_the_developer_the_reason(session, settings, people):
    dev, _, _ = people
    ticket = make_ticket(session, dev)
    transition(session, ticket, S.SCANNING)
    transition(session, ticket, S.REJECTED, reason="Malware detected: Eicar-Test-Signature")
    session.commit()
    drain(settings)

    [alert] = alerts(session, dev, "ticket.rejected")
    assert alert.body == "Malware detected: Eicar-Test-Signature"
    mail = [m for m in mails(settings) if "rejected" in m["Subject"]][0]
    assert "Eicar-Test-Signature" in mail.get_body(("plain",)).get_content()
    assert "Eicar-Test-Signature" in mail.get_body(("html",)).get_content()


def test_internal_steps_and_unknown_events_notify_nobody(session, settings, people):
    dev, _, _ = people
    ticket = make_ticket(session, dev)
    session.commit()
    assert jobs.ticket_event(ticket_id=ticket.id, event="ticket.scanning") == 0
    assert jobs.notify_event("ticket.exploded", ticket_id=ticket.id) == 0
    assert jobs.notify_event("offer.created", offer_id=999999) == 0


def test_turning_email_off_keeps_the_alert_but_sends_nothing(session, settings, people):
    dev, _, _ = people
    session.add(NotificationPreference(user_id=dev.id, event="ticket.submitted", email=False))
    session.commit()
    make_ticket(session, dev)
    session.commit()
    drain(settings)

    assert len(alerts(session, dev)) == 1
    assert deliveries(session) == []
    assert mails(settings) == []


def test_a_new_offer_asks_the_reviewer_with_signed_accept_and_decline_links(
    session, settings, people
):
    dev, rev, _ = people
    ticket = make_ticket(session, dev, languages=["python"])
    offer = make_offer(session, ticket, rev)
    session.commit()
    jobs.notify_event("offer.created", offer_id=offer.id)
    drain(settings)

    [alert] = alerts(session, rev, "offer.created")
    assert alert.title == f"New review request {ticket.ticket_id}"
    mail = [m for m in mails(settings) if m["To"] == "rev@example.com"][0]
    text = mail.get_body(("plain",)).get_content()
    assert f"http://localhost/offers/{offer.id}/email-answer?token=" in text
    assert text.count("email-answer?token=") == 2
    assert "python" in text


def test_declined_and_expired_offers_reach_admins_on_site_and_in_one_digest(
    session, settings, people
):
    dev, rev, admin = people
    ticket = make_ticket(session, dev)
    first = make_offer(session, ticket, rev)
    first.status, first.reason = "declined", "On holiday"
    session.flush()
    second = make_offer(session, make_ticket(session, dev), rev)
    second.status = "expired"
    session.commit()
    jobs.notify_event("offer.declined", offer_id=first.id)
    jobs.notify_event("offer.expired", offer_id=second.id)
    jobs.notify_event("offer.declined", offer_id=first.id)
    drain(settings)

    assert [a.event for a in alerts(session, admin)] == ["offer.declined", "offer.expired"]
    assert "On holiday" in alerts(session, admin)[0].body
    assert alerts(session, rev, "offer.declined") == []
    assert deliveries(session, "offer.declined") == []

    assert jobs.send_admin_digest() == 1
    assert jobs.send_admin_digest() == 0  # nothing new since
    drain(settings)
    [digest] = deliveries(session, "admin.digest")
    assert digest.status == "sent" and digest.to_address == "admin@example.com"
    mail = [m for m in mails(settings) if m["To"] == "admin@example.com"][0]
    text = mail.get_body(("plain",)).get_content()
    assert "declined" in text and "let expire" in text and ticket.ticket_id in text


def test_rating_and_verification_and_fetch_failures_reach_the_right_person(
    session, settings, people
):
    dev, rev, _ = people
    ticket = make_ticket(session, dev)
    rating = Rating(submission_id=ticket.id, reviewer_id=rev.id, rater_id=dev.id, score=5)
    session.add(rating)
    rev_profile = session.scalar(select(ReviewerProfile).where(ReviewerProfile.user_id == rev.id))
    session.add(
        ExpertiseVerification(
            profile_id=rev_profile.id, tag="python", state="verified", decided_at=utcnow()
        )
    )
    session.commit()
    jobs.notify_event("rating.received", rating_id=rating.id)
    jobs.notify_event("verification.decided", profile_id=rev_profile.id, tag="python")
    jobs.notify_event("ticket.fetch_failed", ticket_id=ticket.id)
    jobs.notify_event("ticket.fetch_failed", ticket_id=ticket.id)

    [rated] = alerts(session, rev, "rating.received")
    assert rated.title == f"You received a rating of 5/5 for {ticket.ticket_id}"
    [verified] = alerts(session, rev, "verification.decided")
    assert verified.title == "Your python verification was verified"
    [fetch] = alerts(session, dev, "ticket.fetch_failed")
    assert fetch.body == "Unable to fetch the repository at this time. Please try again later."


def test_a_delivery_sent_once_is_never_sent_again(session, settings, people):
    dev, _, _ = people
    make_ticket(session, dev)
    session.commit()
    drain(settings)
    [delivery] = deliveries(session)

    assert jobs.send_email(delivery.id) == "sent"
    enqueue(session, "notify.jobs.send_email", delivery_id=delivery.id)
    session.commit()
    drain(settings)
    assert len(mails(settings)) == 1
    assert deliveries(session)[0].attempts == 1


def test_a_delivery_left_sending_by_a_dead_worker_is_recorded_failed_not_resent(
    session, settings, people
):
    dev, _, _ = people
    ticket = make_ticket(session, dev)
    session.commit()
    ids = session.scalars(select(Outbox.id).where(Outbox.job == jobs.SEND_JOB)).all()
    assert ids == []  # the e-mail job is written by the event job
    jobs.ticket_event(ticket_id=ticket.id, event="ticket.submitted")
    [delivery] = deliveries(session)
    delivery.status = "sending"  # as a worker killed between claim and provider answer leaves it
    session.commit()
    drain(settings)

    [delivery] = deliveries(session)
    assert delivery.status == "failed"
    assert "not retried to avoid a duplicate" in delivery.last_error
    assert mails(settings) == []
    assert len(alerts(session, dev)) == 1  # the on-site alert is still there


def test_one_event_writes_one_send_job_per_recipient(session, settings, people):
    dev, rev, _ = people
    ticket = make_ticket(session, dev)
    move(session, ticket, S.SCANNING, S.MATCHING, S.OFFERED)
    ticket.reviewer_id = rev.id
    move(session, ticket, S.IN_REVIEW)
    drain(settings)
    count = session.scalar(
        select(func.count()).select_from(Outbox).where(Outbox.job == jobs.SEND_JOB)
    )
    assert count == len(deliveries(session)) == 4  # submitted, offered, in_review x2


def test_a_misconfigured_backend_holds_the_email_until_it_is_fixed(session, settings, people):
    from settings import activate

    dev, _, _ = people
    activate(settings.with_overrides(email_backend="sendgrid", sendgrid_api_key=""))
    try:
        make_ticket(session, dev)
        session.commit()
        drain(settings)
        [delivery] = deliveries(session)
        assert delivery.status == "pending" and "SENDGRID_API_KEY" in delivery.last_error
        row = session.scalar(select(Outbox).where(Outbox.job == jobs.SEND_JOB))
        assert row.status == "pending" and row.run_after > utcnow()
    finally:
        activate(settings)
    row.run_after = utcnow()
    session.commit()
    drain(settings)
    assert deliveries(session)[0].status == "sent"
    assert len(mails(settings)) == 1


def test_the_same_event_handled_by_several_workers_at_once_is_written_once(
    session, settings, people, pg_url
):
    import threading

    dev, rev, _ = people
    ticket = make_ticket(session, dev)
    offer = make_offer(session, make_ticket(session, dev), rev)
    session.commit()
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait(10)
            if n % 2:
                jobs.ticket_event(ticket_id=ticket.id, event="ticket.submitted")
            else:
                jobs.notify_event("offer.created", offer_id=offer.id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert len(alerts(session, dev, "ticket.submitted")) == 1
    assert len(alerts(session, rev, "offer.created")) == 1
    sends = session.scalars(select(Outbox.kwargs).where(Outbox.job == jobs.SEND_JOB)).all()
    assert len(sends) == len(deliveries(session)) == 2


def test_a_password_reset_is_e_mailed_with_a_fresh_link_never_stored_nor_shown_on_site(
    session, settings, people
):
    dev, _, _ = people
    enqueue(session, "notify.jobs.send_password_reset", user_id=dev.id, requested_at="t1")
    session.commit()
    drain(settings)

    assert alerts(session, dev) == []
    (delivery,) = deliveries(session, "password.reset")
    assert delivery.status == "sent"
    assert "reset-password" not in str(delivery.meta)
    (mail,) = mails(settings)
    assert mail["Subject"] == "Reset your Vetted password"
    assert "List-Unsubscribe" not in mail
    assert "/reset-password/" in mail.get_body(preferencelist=("plain",)).get_content()


def test_a_password_reset_job_run_twice_sends_one_e_mail(session, settings, people):
    dev, _, _ = people
    assert jobs.send_password_reset(dev.id, "t2") is True
    assert jobs.send_password_reset(dev.id, "t2") is False
    drain(settings)
    assert len(mails(settings)) == 1
