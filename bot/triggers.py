"""Labels and comment commands, the same for both forges."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot import messages
from bot.commands import HELP_TEXT, Command, review_types_from_labels
from bot.events import ticket_link
from bot.flow import (
    cancel_before_review,
    forge_user,
    latest_ticket,
    open_ticket,
    say,
    start_review,
)
from bot.forge import PullRequest
from bot.target import Target
from models.tickets import TicketStatus
from reviews.ratings import RatingError, rate_ticket
from reviews.state import Actor
from settings import Settings


@dataclass(frozen=True)
class Context:
    session: Session
    settings: Settings
    target: Target
    pr: PullRequest
    delivery_key: str  # comments caused by one delivery are keyed on it


def on_labels(ctx: Context, labels: list[str], actor_login: str, head_sha: str) -> str:
    if not labels:
        return "ignored"
    config = ctx.pr.read_config()
    types = review_types_from_labels(labels, config.labels)
    if types is None:
        return "ignored"
    requester = forge_user(ctx.session, ctx.target.forge, actor_login)
    start_review(
        ctx.session, ctx.target, requester=requester, review_types=types, text="", head_sha=head_sha
    )
    return "processed"


def on_command(
    ctx: Context, command: Command, login: str, user_id: int | None, head_sha: str
) -> str:
    handler = {
        "review": _review,
        "status": _status,
        "cancel": _cancel,
        "rate": _rate,
    }.get(command.name, _help)
    return handler(ctx, command, login, user_id, head_sha)


def _review(ctx: Context, command: Command, login: str, user_id: int | None, head_sha: str) -> str:
    config = ctx.pr.read_config()
    if not config.commands:
        return "ignored"
    if not ctx.pr.can_write(login, user_id):
        say(
            ctx.session,
            ctx.target,
            messages.REFUSED.format(login=login),
            f"{ctx.delivery_key}:refused",
        )
        return "processed"
    requester = forge_user(ctx.session, ctx.target.forge, login)
    types = list(command.review_types) or list(config.default_review_types)
    ticket, created = start_review(
        ctx.session,
        ctx.target,
        requester=requester,
        review_types=types,
        text=command.text,
        head_sha=head_sha,
    )
    if not created:
        body = "An audit is already open.\n\n" + messages.status(
            ticket, ticket_link(ctx.settings, ticket)
        )
        say(ctx.session, ctx.target, body, f"{ctx.delivery_key}:already")
    return "processed"


def _status(ctx: Context, command: Command, login: str, user_id: int | None, head_sha: str) -> str:
    ticket = latest_ticket(ctx.session, ctx.target)
    body = (
        messages.status(ticket, ticket_link(ctx.settings, ticket)) if ticket else messages.NO_TICKET
    )
    say(ctx.session, ctx.target, body, f"{ctx.delivery_key}:status")
    return "processed"


def _cancel(ctx: Context, command: Command, login: str, user_id: int | None, head_sha: str) -> str:
    ticket = open_ticket(ctx.session, ctx.target)
    key = f"{ctx.delivery_key}:cancel"
    if ticket is None:
        say(ctx.session, ctx.target, messages.NO_TICKET, key)
        return "processed"
    requester = forge_user(ctx.session, ctx.target.forge, login)
    if requester.id != ticket.owner_id and not ctx.pr.can_write(login, user_id):
        say(ctx.session, ctx.target, messages.REFUSED.format(login=login), key)
        return "processed"
    reason = f"Cancelled by @{login} on the pull request."
    if not cancel_before_review(
        ctx.session, ticket, reason, Actor(user_id=requester.id, label=login)
    ):
        body = (
            f"The review of `{ticket.ticket_id}` has started and can no longer be cancelled here."
        )
        say(ctx.session, ctx.target, body, key)
    return "processed"


def _rate(ctx: Context, command: Command, login: str, user_id: int | None, head_sha: str) -> str:
    key = f"{ctx.delivery_key}:rate"
    if command.score is None:
        say(ctx.session, ctx.target, command.problem, key)
        return "processed"
    ticket = latest_ticket(ctx.session, ctx.target)
    if ticket is None or ticket.status != TicketStatus.COMPLETED.value:
        say(ctx.session, ctx.target, "A review can be rated once it is completed.", key)
        return "processed"
    rater = forge_user(ctx.session, ctx.target.forge, login)
    try:
        with ctx.session.begin_nested():
            rate_ticket(
                ctx.session,
                ticket,
                rater.id,
                command.score,
                comment=command.text or None,
                origin=ctx.target.forge,
            )
    except RatingError as exc:
        say(ctx.session, ctx.target, f"@{login}: {exc}", key)
        return "processed"
    body = messages.RATED.format(login=login, score=command.score, ticket=ticket.ticket_id)
    say(ctx.session, ctx.target, body, key)
    return "processed"


def _help(ctx: Context, command: Command, login: str, user_id: int | None, head_sha: str) -> str:
    body = f"{command.problem}\n\n{HELP_TEXT}" if command.problem else HELP_TEXT
    say(ctx.session, ctx.target, body, f"{ctx.delivery_key}:help")
    return "processed"
