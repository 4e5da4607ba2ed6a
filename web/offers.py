"""Offer pages: a reviewer sees why a ticket was offered to them and accepts or declines it;
the developer can ask for another matching round for an unmatched ticket."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import case, select
from wtforms import TextAreaField
from wtforms.validators import Length

import policy
from matching.jobs import rematch
from matching.offers import OfferError, accept_offer, decline_offer
from models.db import db
from models.offers import Offer, OfferStatus
from models.tickets import Submission, TicketStatus
from reviews.state import Actor
from web.current import client_ip, current_user, login_required

bp = Blueprint("offers", __name__)


class AnswerForm(FlaskForm):
    reason = TextAreaField(
        "Reason (optional)",
        validators=[Length(max=1000, message="Please keep the reason under 1,000 characters.")],
    )


def visible_offer(offer_id: int) -> Offer:
    """The offer, if it is the current user's (or they are an admin); otherwise 404."""
    offer = db.get(Offer, offer_id)
    user = current_user()
    if offer is None or not (policy.is_admin(user) or (user and offer.reviewer_id == user.id)):
        abort(404)
    return offer


def ticket_path(ticket: Submission) -> str:
    return f"/tickets/{ticket.ticket_id}"


@bp.get("/offers")
@login_required
def index():  # type: ignore[no-untyped-def]
    user = current_user()
    open_first = case((Offer.status == OfferStatus.OFFERED.value, 0), else_=1)
    offers = db.scalars(
        select(Offer)
        .where(Offer.reviewer_id == user.id)
        .order_by(open_first, Offer.created_at.desc())
        .limit(100)
    ).all()
    return render_template("offers/index.html", offers=offers)


@bp.get("/offers/<int:offer_id>")
@login_required
def show(offer_id: int):  # type: ignore[no-untyped-def]
    offer = visible_offer(offer_id)
    can_answer = policy.can_answer_offer(current_user(), offer)
    return render_template(
        "offers/show.html", offer=offer, form=AnswerForm(), can_answer=can_answer
    )


@bp.post("/offers/<int:offer_id>/accept")
@login_required
def accept(offer_id: int):  # type: ignore[no-untyped-def]
    offer = visible_offer(offer_id)
    try:
        accept_offer(db, offer.id, current_user().id)
    except OfferError as exc:
        db.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("offers.show", offer_id=offer_id))
    db.commit()
    flash("Accepted: the review is yours. Thank you!", "success")
    return redirect(ticket_path(offer.submission))


@bp.post("/offers/<int:offer_id>/decline")
@login_required
def decline(offer_id: int):  # type: ignore[no-untyped-def]
    offer = visible_offer(offer_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        messages = [m for errors in form.errors.values() for m in errors]
        flash(messages[0] if messages else "Please check the form and try again.", "danger")
        return redirect(url_for("offers.show", offer_id=offer_id))
    try:
        decline_offer(db, offer.id, current_user().id, reason=form.reason.data or "")
    except OfferError as exc:
        db.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("offers.show", offer_id=offer_id))
    db.commit()
    flash("Declined. We will offer the ticket to someone else.", "info")
    return redirect(url_for("offers.index"))


@bp.post("/tickets/<ticket_id>/rematch")
@login_required
def rematch_ticket(ticket_id: str):  # type: ignore[no-untyped-def]
    """The developer's "try again" for a ticket nobody could take."""
    user = current_user()
    ticket = db.scalar(select(Submission).where(Submission.ticket_id == ticket_id))
    if ticket is None or not policy.can_view_ticket(user, ticket):
        abort(404)
    if not policy.can_retry_ticket(user, ticket):
        abort(403)
    if ticket.status != TicketStatus.UNMATCHED.value:
        flash("This ticket is not waiting for a reviewer, so there is nothing to retry.", "warning")
        return redirect(ticket_path(ticket))
    rematch(db, ticket, Actor(user_id=user.id, ip=client_ip()))
    db.commit()
    flash("We are looking for a reviewer again.", "success")
    return redirect(ticket_path(ticket))
