"""Helpers for the abuse-protection tests: apps with limits on, clients from chosen addresses."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask

from app import create_app


def limited_app(app_config: dict[str, Any], redis_url: str, **overrides: Any) -> Flask:
    """An app with rate limiting on, counting in the given Redis."""
    return create_app(
        {**app_config, "rate_limits_enabled": True, "redis_url": redis_url, **overrides}
    )


def client_from(app: Flask, address: str, **headers: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    for name, value in headers.items():
        client.environ_base["HTTP_" + name.upper().replace("-", "_")] = value
    return client


def wrong_sign_in(client, email: str = "ada@example.com"):  # type: ignore[no-untyped-def]
    return client.post("/sign-in", data={"email": email, "password": "wrong password!"})


# A blueprint standing in for a route another room adds later (see test_web_limits).
elsewhere_bp = Blueprint("elsewhere", __name__)


@elsewhere_bp.post("/elsewhere")
def submit():  # type: ignore[no-untyped-def]
    return "accepted"


# Stands in for a code-viewing route another room adds (see test_web_audit).
code_bp = Blueprint("codeview", __name__)


@code_bp.get("/stand-in/tickets/<ticket_id>/code/<path:path>")
def show(ticket_id: str, path: str):  # type: ignore[no-untyped-def]
    if path == "missing.py":
        return "no such file", 404
    return f"code of {path}"


# Stands in for the forges room's webhook door (see test_web_limits).
hooks_bp = Blueprint("webhooks", __name__)


@hooks_bp.post("/webhooks/github")
def github():  # type: ignore[no-untyped-def]
    from flask import request

    # signature checks need the raw body: it must survive the limiter reading the JSON
    return {"received": request.get_data(as_text=True)}, 202


# Stand-in ticket routes (see test_web_authorization): one that asks policy, one that forgets.
tickets_bp = Blueprint("standin_tickets", __name__)


def _find_ticket(ticket_id: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from models.db import db
    from models.tickets import Submission

    return db.scalar(select(Submission).where(Submission.ticket_id == ticket_id))


@tickets_bp.get("/stand-in/tickets/<ticket_id>")
def checked(ticket_id: str):  # type: ignore[no-untyped-def]
    from flask import abort
    from sqlalchemy import select

    import policy
    from models.db import db
    from models.offers import Offer, OfferStatus
    from web.current import current_user

    ticket = _find_ticket(ticket_id)
    if ticket is None:
        abort(404)
    user = current_user()
    offer = None
    if user is not None:
        offer = db.scalar(
            select(Offer).where(
                Offer.submission_id == ticket.id,
                Offer.reviewer_id == user.id,
                Offer.status == OfferStatus.OFFERED.value,
            )
        )
    if not policy.can_view_ticket(user, ticket, offer):
        abort(404)
    return {"ticket": ticket.ticket_id}


@tickets_bp.get("/stand-in/leaky/<ticket_id>")
def leaky(ticket_id: str):  # type: ignore[no-untyped-def]
    from flask import abort

    ticket = _find_ticket(ticket_id)
    if ticket is None:
        abort(404)
    return {"ticket": ticket.ticket_id}


@code_bp.get("/stand-in/tickets/<ticket_id>/raw/<path:path>")
def raw(ticket_id: str, path: str):  # type: ignore[no-untyped-def]
    # forgets Content-Disposition on purpose: the audit hook must add it
    return "<script>alert('from the reviewed code')</script>", 200, {"Content-Type": "text/html"}
