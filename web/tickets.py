"""The ticket page: its id, where it is, why, what the scan found, and retrying a fetch."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from intake.jobs import retry_submission
from models.db import db
from policy import can_retry_ticket
from reviews.state import Actor
from web.current import client_ip, current_user, login_required
from web.errors import UserFacingError
from web.submitting import STEPS, ticket_for, ticket_view

bp = Blueprint("tickets", __name__)


@bp.get("/tickets/<ticket_id>")
@login_required
def show(ticket_id: str):  # type: ignore[no-untyped-def]
    user = current_user()
    ticket = ticket_for(user, ticket_id)
    if ticket.ticket_id != ticket_id:
        return redirect(url_for("tickets.show", ticket_id=ticket.ticket_id))
    view = ticket_view(user, ticket, url_for("tickets.show", ticket_id=ticket.ticket_id))
    order = [status for status, _label in STEPS]
    position = order.index(ticket.status) if ticket.status in order else -1
    return render_template(
        "tickets/show.html", ticket=ticket, view=view, steps=STEPS, position=position
    )


@bp.post("/tickets/<ticket_id>/retry")
@login_required
def retry(ticket_id: str):  # type: ignore[no-untyped-def]
    user = current_user()
    ticket = ticket_for(user, ticket_id)
    if not can_retry_ticket(user, ticket):
        raise UserFacingError(404, "We could not find that ticket.", code="not_found")
    actor = Actor(user_id=user.id if user else None, ip=client_ip())
    if retry_submission(db, ticket, actor=actor):
        db.commit()
        flash("Trying again. This page shows the progress.", "info")
    else:
        flash("There is nothing to retry for this ticket.", "warning")
    return redirect(url_for("tickets.show", ticket_id=ticket.ticket_id), 303)
