"""The SendGrid backend: the official client, aimed at a local stand-in for the v3 API."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from jobs.dispatch import drain
from models.base import utcnow
from models.notifications import EmailDelivery, Notification
from models.outbox import Outbox
from notify import jobs
from tests.support.factories import make_ticket, make_user
from tests.support.mail import running_sendgrid
from tests.support.notify import make_offer, make_reviewer


@pytest.fixture
def sendgrid_server():
    with running_sendgrid() as server:
        yield server


@pytest.fixture
def app_config(app_config, sendgrid_server):
    url, stand_in = sendgrid_server
    app_config.update(
        email_backend="sendgrid",
        sendgrid_api_key=stand_in.api_key,
        sendgrid_api_host=url,
        email_retry_attempts=3,
        email_retry_wait_seconds=0.01,
        email_max_attempts=4,
        smtp_timeout_seconds=5,
    )
    return app_config


@pytest.fixture
def stand_in(sendgrid_server):
    return sendgrid_server[1]


def deliveries(session):
    session.expire_all()
    return session.scalars(select(EmailDelivery).order_by(EmailDelivery.id)).all()


def submit(session, *emails: str) -> list:
    tickets = [make_ticket(session, make_user(session, email)) for email in emails]
    session.commit()
    return tickets


def drain_until_quiet(settings, rounds: int = 40) -> None:
    """Run due jobs repeatedly, letting short backoffs elapse, as the worker loop does."""
    for _ in range(rounds):
        drain(settings)
        time.sleep(0.03)


def drain_until(settings, session, done, timeout: float = 20.0) -> None:
    """Run the outbox like the worker loop until ``done(deliveries)`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        drain(settings)
        if done(deliveries(session)):
            return
        time.sleep(0.05)
    raise AssertionError(
        f"not done in time: {[(d.status, d.attempts) for d in deliveries(session)]}"
    )


def test_a_message_goes_out_in_the_v3_shape_with_both_parts_and_unsubscribe_headers(
    session, settings, stand_in
):
    [ticket] = submit(session, "dev@example.com")
    drain(settings)

    assert stand_in.shape_errors == []
    [body] = stand_in.accepted
    assert body["personalizations"][0]["to"] == [{"email": "dev@example.com"}]
    assert body["from"]["email"] == "no-reply@vetted.local"
    assert body["subject"] == f"[{ticket.ticket_id}] Review request {ticket.ticket_id} received"
    plain, html = body["content"]
    assert f"http://localhost/tickets/{ticket.ticket_id}" in plain["value"]
    assert f"http://localhost/tickets/{ticket.ticket_id}" in html["value"]
    assert body["headers"]["List-Unsubscribe"].startswith(
        "<http://localhost/notifications/unsubscribe?token="
    )
    assert body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.provider_id, delivery.attempts) == ("sent", "sg-1", 1)


def test_server_errors_are_retried_and_the_message_is_sent_once(session, settings, stand_in):
    stand_in.script = [(500, {}), (503, {})]
    submit(session, "dev@example.com")
    drain(settings)

    assert len(stand_in.requests) == 3
    assert len(stand_in.accepted) == 1
    [delivery] = deliveries(session)
    assert delivery.status == "sent" and delivery.attempts == 1
    drain_until_quiet(settings, rounds=3)
    assert len(stand_in.requests) == 3  # nothing sent twice


def test_a_429_is_retried_after_the_time_retry_after_asks_for(session, settings, stand_in):
    stand_in.script = [(429, {"Retry-After": "1"})]
    submit(session, "dev@example.com")
    started = time.monotonic()
    drain(settings)
    waited = time.monotonic() - started

    assert len(stand_in.requests) == 2 and len(stand_in.accepted) == 1
    assert waited >= 1.0
    assert deliveries(session)[0].status == "sent"


def test_a_long_retry_after_reschedules_the_job_instead_of_sleeping(session, settings, stand_in):
    stand_in.script = [(429, {"Retry-After": "120"})]
    submit(session, "dev@example.com")
    drain(settings)

    assert len(stand_in.requests) == 1 and stand_in.accepted == []
    [delivery] = deliveries(session)
    assert delivery.status == "pending" and "429" in delivery.last_error
    row = session.scalar(select(Outbox).where(Outbox.job == jobs.SEND_JOB))
    assert row.status == "pending"
    assert row.run_after >= utcnow() + timedelta(seconds=100)


def test_provider_down_for_a_while_then_every_message_goes_out_exactly_once(
    session, settings, stand_in
):
    stand_in.down = True
    submit(session, "a@example.com", "b@example.com", "c@example.com")
    drain_until(settings, session, lambda ds: len(ds) == 3 and all(d.attempts >= 2 for d in ds))

    assert stand_in.accepted == []
    pending = deliveries(session)
    assert [d.status for d in pending] == ["pending"] * 3
    assert all(d.attempts >= 1 and "503" in d.last_error for d in pending)

    stand_in.down = False
    drain_until(settings, session, lambda ds: all(d.status != "pending" for d in ds))
    drain_until_quiet(settings, rounds=3)

    sent_to = sorted(b["personalizations"][0]["to"][0]["email"] for b in stand_in.accepted)
    assert sent_to == ["a@example.com", "b@example.com", "c@example.com"]
    assert [d.status for d in deliveries(session)] == ["sent"] * 3


def test_after_the_last_attempt_the_failure_is_recorded_and_the_alert_still_shows(
    session, settings, stand_in, client
):
    stand_in.down = True
    admin = make_user(session, "admin@example.com", "admin")
    submit(session, "dev@example.com")
    drain_until(settings, session, lambda ds: ds and ds[0].status == "failed")

    [delivery] = deliveries(session)
    assert delivery.status == "failed"
    assert delivery.attempts == settings.email_max_attempts
    assert "SendGrid answered 503" in delivery.last_error
    assert len(stand_in.requests) == settings.email_max_attempts * settings.email_retry_attempts
    alert = session.scalar(select(Notification).where(Notification.event == "ticket.submitted"))
    assert alert is not None and alert.read_at is None

    with client.session_transaction() as web_session:
        web_session["uid"], web_session["epoch"] = admin.id, admin.session_epoch
    page = client.get("/admin/emails?status=failed")
    assert page.status_code == 200
    assert b"SendGrid answered 503" in page.data and b"dev@example.com" in page.data


def test_a_refused_api_key_fails_at_once_without_retrying(session, settings, stand_in):
    stand_in.api_key = "SG.another-key"
    submit(session, "dev@example.com")
    drain_until_quiet(settings, rounds=3)

    assert len(stand_in.requests) == 1
    [delivery] = deliveries(session)
    assert delivery.status == "failed" and "401" in delivery.last_error


def test_offer_emails_through_sendgrid_carry_the_answer_links(session, settings, stand_in):
    dev = make_user(session, "dev@example.com")
    rev = make_reviewer(session)
    offer = make_offer(session, make_ticket(session, dev), rev)
    session.commit()
    jobs.notify_event("offer.created", offer_id=offer.id)
    drain(settings)

    body = next(
        b for b in stand_in.accepted if b["personalizations"][0]["to"][0]["email"] == rev.email
    )
    plain = body["content"][0]["value"]
    assert plain.count(f"/offers/{offer.id}/email-answer?token=") == 2


def test_through_rq_workers_on_redis_an_outage_delays_but_never_loses_or_doubles(
    session, settings, stand_in, redis_url
):
    from redis import Redis
    from rq import Queue, SimpleWorker

    from jobs.dispatch import QUEUE_NAME, RqDispatcher

    dispatcher = RqDispatcher(settings.with_overrides(redis_url=redis_url))
    connection = Redis.from_url(redis_url)

    def run_rq_until(done, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dispatcher.dispatch_once()
            SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(
                burst=True
            )
            dispatcher.sweep(grace_seconds=0)
            if done(deliveries(session)):
                return
            time.sleep(0.05)
        raise AssertionError([(d.status, d.attempts) for d in deliveries(session)])

    stand_in.down = True
    submit(session, "a@example.com", "b@example.com")
    run_rq_until(lambda ds: len(ds) == 2 and all(d.attempts >= 2 for d in ds))
    assert stand_in.accepted == []

    stand_in.down = False
    run_rq_until(lambda ds: all(d.status == "sent" for d in ds))
    sent_to = sorted(b["personalizations"][0]["to"][0]["email"] for b in stand_in.accepted)
    assert sent_to == ["a@example.com", "b@example.com"]
