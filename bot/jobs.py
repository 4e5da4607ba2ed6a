"""The bot's jobs (ids in, idempotent): processing deliveries and talking to the forges."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from bot import messages
from bot.events import react, ticket_link, ticket_target
from bot.flow import login_of, say
from bot.forge import ForgeGone, check_fields, forge_call, open_pr
from bot.target import Target
from models.audit import record_audit
from models.db import session_scope
from models.forges import ForgeCheck
from models.tickets import Submission, TicketStatus
from settings import current_settings

log = logging.getLogger(__name__)


def process_delivery(delivery_id: int) -> None:
    from bot.deliveries import process

    process(delivery_id)


def ticket_event(ticket_id: int, event: str, **extra: Any) -> None:
    """Listed in ``reviews.state.EVENT_HANDLERS``: the PR side of every status change."""
    with session_scope() as session:
        ticket = session.get(Submission, ticket_id)
        if ticket is not None:
            react(session, current_settings(), ticket, event, extra)


def post_comment(target: dict[str, Any], body: str) -> None:
    where = Target.from_json(target)
    try:
        with session_scope() as session, forge_call(f"comment on {where.repo}#{where.number}"):
            open_pr(session, current_settings(), where).comment(body)
    except ForgeGone as exc:
        log.warning("comment dropped: %s", exc)


def sync_check(ticket_id: int) -> None:
    """Make the check run / commit status show the ticket's current status (idempotent)."""
    settings = current_settings()
    try:
        with session_scope() as session:
            ticket = session.get(Submission, ticket_id)
            if ticket is None or not ticket.head_sha:
                return
            target = ticket_target(session, ticket)
            fields = check_fields(target.forge, ticket, ticket_link(settings, ticket))
            state = fields.get("state") or f"{fields['status']}:{fields.get('conclusion', '')}"
            check = session.scalar(
                select(ForgeCheck).where(
                    ForgeCheck.submission_id == ticket.id, ForgeCheck.head_sha == ticket.head_sha
                )
            )
            if check is not None and check.state == state:
                return
            with forge_call(f"check on {target.repo}#{target.number}"):
                pr = open_pr(session, settings, target)
                external = pr.set_check(
                    check.external_id if check else None, ticket.head_sha, fields
                )
            if check is None:
                check = ForgeCheck(submission_id=ticket.id, head_sha=ticket.head_sha, state=state)
                session.add(check)
            check.external_id, check.state = external, state
            check.summary = str(fields.get("description") or fields["output"]["title"])
    except ForgeGone as exc:
        log.warning("check not updated: %s", exc)


def request_reviewer(ticket_id: int, comment_key: str) -> None:
    """Ask the forge for the assigned reviewer's review, then say on the PR that it started."""
    settings = current_settings()
    try:
        with session_scope() as session:
            ticket = session.get(Submission, ticket_id)
            if ticket is None or ticket.status != TicketStatus.IN_REVIEW.value:
                return
            target = ticket_target(session, ticket)
            login = login_of(ticket.reviewer, target.forge)
            mode = "fallback"
            if login:
                with forge_call(f"request reviewer on {target.repo}#{target.number}"):
                    mode = open_pr(session, settings, target).request_reviewer(login)
            record_audit(
                session,
                "forge.reviewer_requested",
                object_type="ticket",
                object_id=ticket.ticket_id,
                mode=mode,
            )
            name = ticket.reviewer.display_name if ticket.reviewer else "the reviewer"
            body = messages.started(ticket, login, name, mode, ticket_link(settings, ticket))
            say(session, target, body, comment_key)
    except ForgeGone as exc:
        log.warning("reviewer not requested: %s", exc)


def publish_web_comments(ticket_id: int) -> None:
    from bot.mirror import publish_web_comments as publish

    publish(ticket_id)
