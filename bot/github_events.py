"""GitHub deliveries, event by event."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot import installations, mirror
from bot.commands import parse_command
from bot.flow import cancel_before_review, new_commits, open_ticket
from bot.forge import forge_call, open_pr
from bot.mirror import ForgeComment
from bot.target import Target
from bot.triggers import Context, on_command, on_labels
from models.forges import WebhookDelivery
from reviews.state import Actor
from settings import Settings

CLOSED_REASON = "The pull request was closed before the review started."


def _target(payload: dict[str, Any], number: int) -> Target | None:
    installation = (payload.get("installation") or {}).get("id")
    repo = (payload.get("repository") or {}).get("full_name")
    if installation is None or not repo:
        return None  # not sent to an App installation: nothing Vetted can act on
    return Target("github", repo, int(number), installation=int(installation))


def _is_bot(user: dict[str, Any] | None) -> bool:
    return not user or user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")


def _context(session: Session, settings: Settings, target: Target, row: WebhookDelivery) -> Context:
    return Context(session, settings, target, open_pr(session, settings, target), f"gh:{row.id}")


def ping(session: Session, settings: Settings, row: WebhookDelivery, payload: dict) -> str:
    return "processed"


def installation(session: Session, settings: Settings, row: WebhookDelivery, payload: dict) -> str:
    return installations.installation_event(session, payload)


def installation_repositories(
    session: Session, settings: Settings, row: WebhookDelivery, payload: dict
) -> str:
    return installations.repositories_event(session, payload)


def pull_request(session: Session, settings: Settings, row: WebhookDelivery, payload: dict) -> str:
    pr = payload["pull_request"]
    target = _target(payload, pr["number"])
    if target is None:
        return "ignored"
    action, head_sha = payload.get("action"), pr["head"]["sha"]
    if action in ("labeled", "opened", "reopened", "ready_for_review"):
        if action == "labeled":
            labels = [payload["label"]["name"]] if payload.get("label") else []
        else:
            labels = [label["name"] for label in pr.get("labels") or []]
        if not labels or pr.get("state") != "open" or pr.get("draft"):
            return "ignored"
        with forge_call(f"labels on {target.repo}#{target.number}"):
            ctx = _context(session, settings, target, row)
            return on_labels(ctx, labels, payload["sender"]["login"], head_sha)
    ticket = open_ticket(session, target)
    if ticket is None:
        return "ignored"
    if action == "synchronize":
        return "processed" if new_commits(session, ticket, head_sha) else "ignored"
    if action == "closed":
        actor = Actor(label=f"github:{payload['sender']['login']}")
        return (
            "processed"
            if cancel_before_review(session, ticket, CLOSED_REASON, actor)
            else "ignored"
        )
    return "ignored"


def issue_comment(session: Session, settings: Settings, row: WebhookDelivery, payload: dict) -> str:
    issue, comment = payload["issue"], payload["comment"]
    target = _target(payload, issue["number"])
    if target is None or "pull_request" not in issue or _is_bot(comment.get("user")):
        return "ignored"
    login, action = comment["user"]["login"], payload.get("action")
    external_id = f"issue-comment:{comment['id']}"
    if action == "deleted":
        return mirror.remove(session, "github", external_id)
    command = parse_command(comment.get("body")) if action == "created" else None
    if command is not None:
        with forge_call(f"command on {target.repo}#{target.number}"):
            ctx = _context(session, settings, target, row)
            head_sha = ctx.pr.head_sha() if command.name == "review" else ""
            return on_command(ctx, command, login, comment["user"].get("id"), head_sha)
    forge_comment = ForgeComment(external_id, login, comment.get("body") or "")
    return mirror.upsert(session, target, forge_comment, reviewer_only=True)


def pull_request_review_comment(
    session: Session, settings: Settings, row: WebhookDelivery, payload: dict
) -> str:
    comment = payload["comment"]
    target = _target(payload, payload["pull_request"]["number"])
    if target is None or _is_bot(comment.get("user")):
        return "ignored"
    external_id = f"review-comment:{comment['id']}"
    if payload.get("action") == "deleted":
        return mirror.remove(session, "github", external_id)
    line = comment.get("line") or comment.get("original_line")
    start = comment.get("start_line") or comment.get("original_start_line") or line
    parent = comment.get("in_reply_to_id")
    forge_comment = ForgeComment(
        external_id,
        comment["user"]["login"],
        comment.get("body") or "",
        path=comment.get("path"),
        line_start=start,
        line_end=line,
        parent_external_id=f"review-comment:{parent}" if parent else None,
    )
    return mirror.upsert(session, target, forge_comment)


def pull_request_review(
    session: Session, settings: Settings, row: WebhookDelivery, payload: dict
) -> str:
    review = payload["review"]
    target = _target(payload, payload["pull_request"]["number"])
    if target is None or _is_bot(review.get("user")):
        return "ignored"
    if payload.get("action") == "dismissed":
        return "ignored"  # the ticket's completion stands; the dismissal is GitHub's own state
    return mirror.review_submitted(
        session, target, review["user"]["login"], review.get("body"), review.get("state", "")
    )


HANDLERS = {
    "ping": ping,
    "installation": installation,
    "installation_repositories": installation_repositories,
    "pull_request": pull_request,
    "issue_comment": issue_comment,
    "pull_request_review_comment": pull_request_review_comment,
    "pull_request_review": pull_request_review,
}
