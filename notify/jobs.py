"""Notification jobs: alerts on-site for everyone concerned, and one e-mail each at most.

``ticket_event`` hears every ticket status change (``reviews.state.EVENT_HANDLERS``);
``notify_event`` hears the rest. Both write ``Notification`` rows and, per the recipient's
preference, an ``EmailDelivery`` plus a ``send_email`` outbox row, all in one transaction and
keyed by event, occurrence and recipient: running them again adds nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jobs.errors import RetryLater
from jobs.outbox import enqueue
from models.audit import AuditEvent
from models.base import utcnow
from models.db import session_scope
from models.notifications import EmailDelivery, Notification, NotificationPreference
from models.offers import Offer
from models.reviewers import ExpertiseVerification
from models.tickets import Submission
from models.users import User
from notify.backends import PermanentEmailError, TransientEmailError, get_backend
from notify.events import CATALOGUE, DIGEST_EVENT, Message, admins, messages_for
from notify.rendering import render
from notify.sending import reschedule_delay, send_with_retries
from settings import current_settings

log = logging.getLogger(__name__)

DIGEST_PERIOD_SECONDS = 3600
DIGEST_LOOKBACK = timedelta(days=7)
SEND_JOB = "notify.jobs.send_email"
CONFIG_RETRY_SECONDS = 600.0


class DeliveryStatus:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


# --- who has been told already -------------------------------------------------------------


def alert_key(event: str, occurrence: str, user_id: int) -> str:
    return f"{event}:{occurrence}:u{user_id}"[:200]


def _ticket_occurrence(
    session: Session, ticket: Submission, event: str, recipients: list[int]
) -> str | None:
    """The oldest entry into this status whose alerts are not written yet.

    The state machine audits every status change, so the audit row names the occurrence; two
    entries into the same status are two occurrences, and a re-run finds nothing left to do.
    Checked by exact keys, so the unique index on ``dedup_key`` answers it.
    """
    if not recipients:
        return None
    audit_ids = session.scalars(
        select(AuditEvent.id)
        .where(
            AuditEvent.action == event,
            AuditEvent.object_type == "ticket",
            AuditEvent.object_id == ticket.ticket_id,
        )
        .order_by(AuditEvent.id)
    ).all()
    for audit_id in audit_ids:
        occurrence = f"t{ticket.id}:a{audit_id}"
        keys = [alert_key(event, occurrence, user_id) for user_id in recipients]
        taken = session.scalar(
            select(Notification.id).where(Notification.dedup_key.in_(keys)).limit(1)
        )
        if taken is None:
            return occurrence
    return None


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y%m%dT%H%M%S.%f") if value else "none"


def _occurrence(
    session: Session, event: str, ids: dict[str, Any], messages: list[Message]
) -> str | None:
    if event in {"ticket.fetch_failed", "ticket.scan_failed"}:
        ticket = session.get(Submission, int(ids["ticket_id"]))
        return f"t{ticket.id}:{_stamp(ticket.status_changed_at)}" if ticket else None
    if event.startswith("offer."):
        return f"o{int(ids['offer_id'])}" if session.get(Offer, int(ids["offer_id"])) else None
    if event == "rating.received":
        return f"r{int(ids['rating_id'])}"
    if event == "verification.decided":
        verification = session.scalar(
            select(ExpertiseVerification).where(
                ExpertiseVerification.profile_id == int(ids["profile_id"]),
                ExpertiseVerification.tag == str(ids["tag"]),
            )
        )
        decided = verification.decided_at if verification else None
        return f"p{int(ids['profile_id'])}:{ids['tag']}:{_stamp(decided)}"
    if event.startswith("ticket."):
        ticket = session.get(Submission, int(ids["ticket_id"]))
        if ticket is None:
            return None
        return _ticket_occurrence(session, ticket, event, [m.user_id for m in messages])
    return None


# --- writing alerts and e-mails ------------------------------------------------------------


def email_enabled(session: Session, user_id: int, event: str) -> bool:
    """On unless the user turned it off (on-site alerts cannot be turned off)."""
    preference = session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user_id, NotificationPreference.event == event
        )
    )
    return preference is None or preference.email


def _add_once(session: Session, row: Notification | EmailDelivery) -> bool:
    """Insert unless a row with the same dedup key exists (also when another worker races us)."""
    model = type(row)
    if session.scalar(select(model.id).where(model.dedup_key == row.dedup_key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def _jsonable(context: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in context.items()}


def subject_for(message: Message) -> str:
    subject = f"[{message.ticket_id}] {message.title}" if message.ticket_id else message.title
    return subject[:255]


def queue_email(
    session: Session,
    user: User,
    *,
    key: str,
    event: str,
    subject: str,
    meta: dict[str, Any],
) -> EmailDelivery | None:
    """Record one e-mail and its send job; ``None`` when it was recorded before."""
    delivery = EmailDelivery(
        dedup_key=key,
        user_id=user.id,
        to_address=user.email,
        event=event,
        subject=subject,
        backend=current_settings().email_backend,
        status=DeliveryStatus.PENDING,
        meta=meta,
    )
    if not _add_once(session, delivery):
        return None
    session.flush()
    enqueue(session, SEND_JOB, key=f"email:{delivery.id}", delivery_id=delivery.id)
    return delivery


def deliver(session: Session, event: str, occurrence: str, messages: list[Message]) -> int:
    """Write each recipient's alert and, when wanted, their e-mail. Returns alerts written."""
    spec = CATALOGUE[event]
    written = 0
    for message in messages:
        user = session.get(User, message.user_id)
        if user is None or not user.is_active:
            continue
        key = alert_key(event, occurrence, user.id)
        alert = Notification(
            user_id=user.id,
            event=event,
            submission_id=message.submission_id,
            title=message.title[:255],
            body=message.body,
            link=message.link,
            dedup_key=key,
        )
        if _add_once(session, alert):
            written += 1
        if spec.digest or not user.email or not email_enabled(session, user.id, event):
            continue
        queue_email(
            session,
            user,
            key=key,
            event=event,
            subject=subject_for(message),
            meta={
                "title": message.title,
                "body": message.body,
                "link": message.link,
                "ticket_id": message.ticket_id,
                "context": _jsonable(message.context),
            },
        )
    return written


PASSWORD_RESET = "password.reset"  # noqa: S105 - an event name


def send_password_reset(user_id: int, requested_at: str) -> bool:
    """E-mail a password reset link: always (not a preference), never as an on-site alert.

    The link is minted by the renderer at send time, so no reset credential is ever stored.
    """
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active or not user.email:
            return False
        delivery = queue_email(
            session,
            user,
            key=f"{PASSWORD_RESET}:{user_id}:{requested_at}",
            event=PASSWORD_RESET,
            subject="Reset your Vetted password",
            meta={
                "title": "Reset your Vetted password",
                "body": "Someone (hopefully you) asked to reset the password of your Vetted "
                "account. The link below works once, for one hour. If it was not you, "
                "ignore this e-mail: your password stays as it is.",
                "context": {"password_reset": True},
                "no_unsubscribe": True,
            },
        )
        return delivery is not None


def ticket_event(ticket_id: int, event: str, **extra: Any) -> int:
    """A ticket changed status (called by the outbox for every ``EVENT_HANDLERS`` entry)."""
    if event not in CATALOGUE:
        return 0  # scanning, matching: internal steps nobody is told about
    return notify_event(event, ticket_id=ticket_id, **extra)


def notify_event(event: str, **ids: Any) -> int:
    """Any catalogued event, named with its ids (see BRIEF_CONTRACTS for the names)."""
    if event not in CATALOGUE:
        log.warning("notification for unknown event %s ignored", event)
        return 0
    with session_scope() as session:
        messages = messages_for(session, event, ids)
        occurrence = _occurrence(session, event, ids, messages) if messages else None
        if occurrence is None:
            return 0
        return deliver(session, event, occurrence, messages)


# --- sending -------------------------------------------------------------------------------


def _claim(delivery_id: int, backend: str) -> int | None:
    """pending → sending, committed before the provider is called. Returns the attempt number."""
    with session_scope() as session:
        row = session.execute(
            update(EmailDelivery)
            .where(EmailDelivery.id == delivery_id, EmailDelivery.status == DeliveryStatus.PENDING)
            .values(
                status=DeliveryStatus.SENDING,
                attempts=EmailDelivery.attempts + 1,
                backend=backend,
            )
            .returning(EmailDelivery.attempts)
        ).first()
        return int(row.attempts) if row else None


def _record(delivery_id: int, **values: Any) -> None:
    with session_scope() as session:
        session.execute(
            update(EmailDelivery).where(EmailDelivery.id == delivery_id).values(**values)
        )


def send_email(delivery_id: int) -> str:
    """Send one recorded e-mail, at most once. Returns its final or current status.

    The claim (``sending``) is committed before the provider is called. A run that finds a
    delivery ``sent`` or ``failed`` does nothing; one that finds it ``sending`` knows a worker
    died mid-send and cannot tell whether the provider took it, so it records that for admins
    rather than risk a duplicate.
    """
    settings = current_settings()
    with session_scope() as session:
        delivery = session.get(EmailDelivery, delivery_id)
        if delivery is None:
            return "missing"
        status = delivery.status
    if status in (DeliveryStatus.SENT, DeliveryStatus.FAILED):
        return status
    if status == DeliveryStatus.SENDING:
        _record(
            delivery_id,
            status=DeliveryStatus.FAILED,
            last_error="interrupted while sending; not retried to avoid a duplicate",
        )
        return DeliveryStatus.FAILED
    try:
        backend = get_backend(settings)
    except PermanentEmailError as exc:
        # A configuration mistake (unknown backend, no API key): hold the message until an
        # operator fixes it rather than lose it. Shown to admins as the delivery's last error.
        _record(delivery_id, last_error=f"not sent: {exc}")
        raise RetryLater(
            f"e-mail backend misconfigured: {exc}", delay=CONFIG_RETRY_SECONDS
        ) from exc
    attempt = _claim(delivery_id, backend.name)
    if attempt is None:
        return "skipped"
    try:
        with session_scope() as session:
            delivery = session.get(EmailDelivery, delivery_id)
            email = render(settings, session, delivery)
        provider_id = send_with_retries(settings, backend, email)
    except TransientEmailError as exc:
        if attempt >= settings.email_max_attempts:
            _record(delivery_id, status=DeliveryStatus.FAILED, last_error=str(exc)[:2000])
            log.error("e-mail %s failed for good after %d attempts: %s", delivery_id, attempt, exc)
            return DeliveryStatus.FAILED
        _record(delivery_id, status=DeliveryStatus.PENDING, last_error=str(exc)[:2000])
        delay = max(reschedule_delay(settings, attempt), exc.retry_after or 0.0)
        raise RetryLater(f"e-mail provider: {exc}", delay=delay) from exc
    except PermanentEmailError as exc:
        _record(delivery_id, status=DeliveryStatus.FAILED, last_error=str(exc)[:2000])
        log.error("e-mail %s refused: %s", delivery_id, exc)
        return DeliveryStatus.FAILED
    except Exception as exc:
        # A bug before or around the hand-over (rendering, a library error): the provider did
        # not confirm, so the delivery goes back to pending and the outbox retries the job.
        _record(delivery_id, status=DeliveryStatus.PENDING, last_error=repr(exc)[:2000])
        raise
    _record(
        delivery_id,
        status=DeliveryStatus.SENT,
        sent_at=utcnow(),
        provider_id=(provider_id or "")[:200] or None,
        last_error=None,
    )
    return DeliveryStatus.SENT


# --- the admins' digest --------------------------------------------------------------------


def send_admin_digest() -> int:
    """One e-mail per admin listing the declined and expired offers since their last digest."""
    digest_events = [name for name, spec in CATALOGUE.items() if spec.digest]
    now = utcnow()
    queued = 0
    with session_scope() as session:
        for admin in admins(session):
            if not admin.email or not email_enabled(session, admin.id, DIGEST_EVENT):
                continue
            last = session.scalar(
                select(EmailDelivery)
                .where(EmailDelivery.event == DIGEST_EVENT, EmailDelivery.user_id == admin.id)
                .order_by(EmailDelivery.id.desc())
                .limit(1)
            )
            since = now - DIGEST_LOOKBACK
            if last is not None and last.meta.get("until"):
                since = max(since, datetime.fromisoformat(last.meta["until"]))
            alerts = session.scalars(
                select(Notification)
                .where(
                    Notification.user_id == admin.id,
                    Notification.event.in_(digest_events),
                    Notification.created_at > since,
                    Notification.created_at <= now,
                )
                .order_by(Notification.id)
            ).all()
            if not alerts:
                continue
            items = [{"title": a.title, "body": a.body, "link": a.link} for a in alerts]
            title = f"Offers needing attention: {len(items)} declined or expired"
            delivery = queue_email(
                session,
                admin,
                key=f"{DIGEST_EVENT}:u{admin.id}:{_stamp(alerts[-1].created_at)}",
                event=DIGEST_EVENT,
                subject=title,
                meta={
                    "title": title,
                    "body": "",
                    "link": "/notifications",
                    "items": items,
                    "until": alerts[-1].created_at.isoformat(),
                },
            )
            queued += delivery is not None
    return queued
