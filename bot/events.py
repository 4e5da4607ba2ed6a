"""Reacting to a PR ticket's status changes: comments, the check, requesting the reviewer."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot import messages
from bot.flow import FETCH_FAILED, NO_REVIEWERS, occurrence, say
from bot.target import Target, target_of
from jobs.outbox import enqueue
from models.forges import Installation
from models.reviews import Feedback
from models.tickets import SourceKind, Submission
from settings import Settings

PR_SOURCES = (SourceKind.GITHUB_PR.value, SourceKind.GITLAB_MR.value)


def ticket_link(settings: Settings, ticket: Submission) -> str:
    return f"{settings.base_url.rstrip('/')}/tickets/{ticket.ticket_id}"


def ticket_target(session: Session, ticket: Submission) -> Target:
    installation = (
        session.get(Installation, ticket.installation_id) if ticket.installation_id else None
    )
    external = installation.external_id if installation and ticket.forge == "github" else None
    return target_of(ticket, external)


def react(
    session: Session, settings: Settings, ticket: Submission, event: str, extra: dict[str, Any]
) -> None:
    if ticket.source not in PR_SOURCES:
        return
    target = ticket_target(session, ticket)
    key = f"{ticket.id}:{event}:{occurrence(session, ticket, event)}"
    link = ticket_link(settings, ticket)
    enqueue(session, "bot.jobs.sync_check", ticket_id=ticket.id)
    if event == "ticket.submitted":
        if extra.get("previous") == "scanning":
            if ticket.error_code == "fetch_failed":
                say(session, target, f"{FETCH_FAILED} (ticket `{ticket.ticket_id}`)", key)
            return
        say(session, target, messages.requested(ticket, link), key)
    elif event == "ticket.in_review":
        enqueue(
            session,
            "bot.jobs.request_reviewer",
            key=f"request-reviewer:{key}",
            ticket_id=ticket.id,
            comment_key=key,
        )
    elif event == "ticket.unmatched":
        say(session, target, NO_REVIEWERS, key)
    elif event == "ticket.completed":
        # comments the reviewer wrote in Vetted's viewer reach the PR as one review
        enqueue(session, "bot.jobs.publish_web_comments", key=f"publish:{key}", ticket_id=ticket.id)
        feedback = session.query(Feedback).filter_by(submission_id=ticket.id).one_or_none()
        say(session, target, messages.completed(ticket, feedback, link), key)
    elif event == "ticket.rejected":
        say(session, target, messages.rejected(ticket, link), key)
    elif event == "ticket.cancelled":
        say(session, target, messages.cancelled(ticket), key)
