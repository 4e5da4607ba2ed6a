"""Keeping ``Installation`` rows in step with GitHub's installation events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.flow import cancel_before_review
from models.base import utcnow
from models.forges import Installation
from models.tickets import Submission
from reviews.state import Actor

GONE_REASON = "The Vetted GitHub App was removed from this repository."


def _row(session: Session, data: dict[str, Any]) -> Installation:
    row = session.scalar(
        select(Installation).where(
            Installation.forge == "github", Installation.external_id == int(data["id"])
        )
    )
    if row is None:
        row = Installation(forge="github", external_id=int(data["id"]), repositories=[])
        session.add(row)
    account = data.get("account") or {}
    row.account_login = account.get("login") or row.account_login or ""
    row.account_type = account.get("type") or row.account_type
    return row


def _repos(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{"id": r.get("id"), "full_name": r.get("full_name")} for r in items or []]


def installation_event(session: Session, payload: dict[str, Any]) -> str:
    action = payload.get("action")
    row = _row(session, payload["installation"])
    if action == "created":
        row.repositories = _repos(payload.get("repositories"))
        row.removed_at = row.suspended_at = None
    elif action == "deleted":
        row.removed_at = utcnow()
        session.flush()
        _cancel_waiting(session, row, GONE_REASON)
    elif action == "suspend":
        row.suspended_at = utcnow()
    elif action == "unsuspend":
        row.suspended_at = None
    session.flush()
    return "processed"


def repositories_event(session: Session, payload: dict[str, Any]) -> str:
    row = _row(session, payload["installation"])
    known = {r["full_name"]: r for r in row.repositories or []}
    for repo in _repos(payload.get("repositories_added")):
        known[repo["full_name"]] = repo
    removed = {r["full_name"] for r in _repos(payload.get("repositories_removed"))}
    row.repositories = [r for name, r in known.items() if name not in removed]
    session.flush()
    return "processed"


def _cancel_waiting(session: Session, row: Installation, reason: str) -> None:
    """Tickets not yet in review cannot be fetched any more; reviews in progress go on in
    Vetted's viewer (their PR comments are simply no longer mirrored)."""
    tickets = session.scalars(select(Submission).where(Submission.installation_id == row.id))
    for ticket in tickets:
        cancel_before_review(session, ticket, reason, Actor(label="github:installation"))
