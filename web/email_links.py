"""Links in e-mails that work without signing in: answering an offer, and unsubscribing.

Both carry a signed token (``notify.tokens``). Following a link only shows what it will do;
the change happens on the button's POST, so mail scanners that fetch every link change nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import func, select

from models.audit import AuditEvent, record_audit
from models.base import utcnow
from models.db import db
from models.offers import Offer, OfferStatus
from models.tickets import Submission
from models.users import User
from notify.events import PREFERENCE_LABELS
from notify.tokens import (
    LinkError,
    OfferAnswer,
    read_offer_answer_token,
    read_unsubscribe_token,
)
from web.current import client_ip
from web.errors import UserFacingError
from web.notifications import set_email_preference

bp = Blueprint("email_links", __name__)

ANSWER_ACTION = "offer.email_answer"


def _settings():  # type: ignore[no-untyped-def]
    return current_app.config["SETTINGS"]


def _token() -> str:
    token = (request.values.get("token") or "").strip()
    if not token:
        raise UserFacingError(400, "This link is incomplete. Please use the link from your e-mail.")
    return token


def _lock_offer(offer_id: int) -> Offer | None:
    query = select(Offer).where(Offer.id == offer_id)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return db.scalar(query.execution_options(populate_existing=True))


def link_used(offer_id: int) -> bool:
    return bool(
        db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == ANSWER_ACTION,
                AuditEvent.object_type == "offer",
                AuditEvent.object_id == str(offer_id),
            )
        )
    )


def check_offer_link(offer_id: int, token: str, lock: bool = False) -> tuple[Offer, OfferAnswer]:
    """Signed, for this offer and its reviewer, not used, offer still open and not expired."""
    try:
        answer = read_offer_answer_token(_settings(), token, offer_id)
    except LinkError as exc:
        raise UserFacingError(400, str(exc), code="invalid_link") from None
    offer = _lock_offer(offer_id) if lock else db.get(Offer, offer_id)
    if offer is None or offer.reviewer_id != answer.user_id:
        raise UserFacingError(400, "This link is not valid.", code="invalid_link")
    if link_used(offer_id) or offer.status != OfferStatus.OFFERED.value:
        raise UserFacingError(
            409, "This offer has already been answered; the link works only once.", code="used"
        )
    if offer.expires_at <= utcnow():
        raise UserFacingError(410, "This offer has expired.", code="expired")
    return offer, answer


@bp.get("/offers/<int:offer_id>/email-answer")
def offer_answer_confirm(offer_id: int):  # type: ignore[no-untyped-def]
    token = _token()
    offer, answer = check_offer_link(offer_id, token)
    ticket = db.get(Submission, offer.submission_id)
    return render_template(
        "notify/offer_answer.html", offer=offer, ticket=ticket, answer=answer, token=token
    )


def _answer(answer: OfferAnswer, reason: str) -> Any:
    """The matching room owns what accepting and declining mean; we only carry the click."""
    from matching.offers import OfferError, accept_offer, decline_offer

    try:
        if answer.action == "accept":
            return accept_offer(db, answer.offer_id, answer.user_id)
        return decline_offer(db, answer.offer_id, answer.user_id, reason=reason)
    except OfferError as exc:
        raise UserFacingError(409, str(exc), code="offer_error") from None


@bp.post("/offers/<int:offer_id>/email-answer")
def offer_answer(offer_id: int):  # type: ignore[no-untyped-def]
    token = _token()
    offer, answer = check_offer_link(offer_id, token, lock=True)
    reason = (request.form.get("reason") or "").strip()[:1000]
    record_audit(
        db,
        ANSWER_ACTION,
        actor_id=answer.user_id,
        ip=client_ip(),
        object_type="offer",
        object_id=offer.id,
        answer=answer.action,
    )
    try:
        _answer(answer, reason)
    except ImportError:
        db.rollback()
        raise UserFacingError(
            503, "Answering offers from e-mail is briefly unavailable. Please try again later."
        ) from None
    except Exception:
        db.rollback()
        raise
    db.commit()
    ticket = db.get(Submission, offer.submission_id)
    return render_template("notify/offer_answered.html", ticket=ticket, action=answer.action)


def _unsubscribe_target() -> tuple[int, str]:
    try:
        user_id, event = read_unsubscribe_token(_settings(), _token())
    except LinkError as exc:
        raise UserFacingError(400, str(exc), code="invalid_link") from None
    if event not in PREFERENCE_LABELS or db.get(User, user_id) is None:
        raise UserFacingError(400, "This link is not valid.", code="invalid_link")
    return user_id, event


@bp.get("/notifications/unsubscribe")
def unsubscribe_confirm():  # type: ignore[no-untyped-def]
    _, event = _unsubscribe_target()
    return render_template(
        "notify/unsubscribe.html", label=PREFERENCE_LABELS[event], token=_token(), done=False
    )


@bp.post("/notifications/unsubscribe")
def unsubscribe():  # type: ignore[no-untyped-def]
    """Also the RFC 8058 one-click target (``List-Unsubscribe-Post``): no session, no CSRF."""
    user_id, event = _unsubscribe_target()
    set_email_preference(user_id, event, False)
    record_audit(db, "notify.unsubscribe", actor_id=user_id, ip=client_ip(), event=event)
    db.commit()
    return render_template(
        "notify/unsubscribe.html", label=PREFERENCE_LABELS[event], token="", done=True
    )


@bp.record_once
def _exempt_one_click(state: Any) -> None:
    """Mail clients POST one-click unsubscribes without our CSRF token; the signed token is
    the proof instead."""
    state.app.extensions["csrf"].exempt(unsubscribe)
