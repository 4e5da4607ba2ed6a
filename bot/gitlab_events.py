"""GitLab deliveries: Merge Request Hook and Note Hook."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot import mirror
from bot.commands import parse_command
from bot.flow import cancel_before_review, new_commits, open_ticket
from bot.forge import forge_call, open_pr
from bot.mirror import ForgeComment
from bot.target import Target
from bot.triggers import Context, on_command, on_labels
from models.forges import WebhookDelivery
from reviews.state import Actor
from settings import Settings

CLOSED_REASON = "The merge request was closed before the review started."


def _target(payload: dict[str, Any], iid: Any) -> Target | None:
    project = payload.get("project") or {}
    if "id" not in project or iid is None:
        return None
    return Target(
        "gitlab",
        str(project.get("path_with_namespace") or ""),
        int(iid),
        project_id=int(project["id"]),
    )


def _context(session: Session, settings: Settings, target: Target, row: WebhookDelivery) -> Context:
    return Context(session, settings, target, open_pr(session, settings, target), f"gl:{row.id}")


def _titles(labels: list[Any] | None) -> list[str]:
    return [str(label.get("title") if isinstance(label, dict) else label) for label in labels or []]


def merge_request(session: Session, settings: Settings, row: WebhookDelivery, payload: dict) -> str:
    mr = payload.get("object_attributes") or {}
    target = _target(payload, mr.get("iid"))
    if target is None:
        return "ignored"
    action = mr.get("action")
    head_sha = (mr.get("last_commit") or {}).get("id") or ""
    login = (payload.get("user") or {}).get("username") or ""
    labels: list[str] = []
    if action in ("open", "reopen") and mr.get("state") == "opened":
        labels = _titles(payload.get("labels") or mr.get("labels"))
    elif action == "update":
        change = (payload.get("changes") or {}).get("labels") or {}
        before = set(_titles(change.get("previous")))
        labels = [t for t in _titles(change.get("current")) if t not in before]
    if labels and login and head_sha:
        with forge_call(f"labels on {target.repo}!{target.number}"):
            return on_labels(_context(session, settings, target, row), labels, login, head_sha)
    if action in ("approved", "approval") and login:
        return mirror.review_submitted(session, target, login, None, "approved")
    ticket = open_ticket(session, target)
    if ticket is None:
        return "ignored"
    if action == "update" and mr.get("oldrev") and head_sha:
        return "processed" if new_commits(session, ticket, head_sha) else "ignored"
    if action in ("close", "merge"):
        actor = Actor(label=f"gitlab:{login}")
        return (
            "processed"
            if cancel_before_review(session, ticket, CLOSED_REASON, actor)
            else "ignored"
        )
    return "ignored"


def _position(note: dict[str, Any]) -> tuple[str | None, int | None, int | None]:
    """A diff note's file and lines (new side preferred), from ``position``."""
    position = note.get("position")
    if not isinstance(position, dict) or position.get("position_type") not in (None, "text"):
        return None, None, None
    path = position.get("new_path") or position.get("old_path")
    line = position.get("new_line") or position.get("old_line")
    span = position.get("line_range") or {}
    start = ((span.get("start") or {}).get("new_line")) or line
    end = ((span.get("end") or {}).get("new_line")) or line
    return path, start, end


def note(session: Session, settings: Settings, row: WebhookDelivery, payload: dict) -> str:
    attributes = payload.get("object_attributes") or {}
    mr = payload.get("merge_request") or {}
    if attributes.get("noteable_type") != "MergeRequest" or not mr:
        return "ignored"
    target = _target(payload, mr.get("iid"))
    user = payload.get("user") or {}
    login = user.get("username") or ""
    if target is None or not login or user.get("bot"):
        return "ignored"
    action = attributes.get("action") or "create"
    command = parse_command(attributes.get("note")) if action == "create" else None
    if command is not None:
        head_sha = (mr.get("last_commit") or {}).get("id") or ""
        with forge_call(f"command on {target.repo}!{target.number}"):
            ctx = _context(session, settings, target, row)
            return on_command(ctx, command, login, user.get("id"), head_sha)
    path, start, end = _position(attributes)
    body = attributes.get("note") or ""
    summary = path is None and len(mirror.summary_sections(body)) > 1  # a review summary note
    if (
        summary
        and mirror.review_submitted(session, target, login, body, "commented") == "processed"
    ):
        return "processed"
    comment = ForgeComment(
        f"note:{attributes['id']}",
        login,
        attributes.get("note") or "",
        path=path,
        line_start=start,
        line_end=end,
    )
    return mirror.upsert(session, target, comment, reviewer_only=path is None)


HANDLERS = {"Merge Request Hook": merge_request, "Note Hook": note}
