"""Review comments, both ways, keyed by their forge id: redeliveries change nothing.

Forge → Vetted: the reviewer's (and the developer's) PR comments become ``ReviewComment``s
(origin github/gitlab, external_id the forge's id); edits update, deletes remove. A review
submitted by the assigned reviewer completes the ticket. Vetted → forge: comments written in
Vetted's viewer are posted as one PR review, attributed to the reviewer.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.flow import login_of, pr_tickets
from bot.target import Target
from models.base import utcnow
from models.reviews import ReviewComment
from models.tickets import Submission, TicketStatus
from reviews.completion import ReviewError, complete_review, update_feedback
from reviews.state import Actor

log = logging.getLogger(__name__)

MIRRORED_STATUSES = (TicketStatus.IN_REVIEW.value, TicketStatus.COMPLETED.value)
VERDICTS = {"approved": "approved", "changes_requested": "changes_required"}
_SECTION_NAMES = (
    r"overall(?: assessment)?|summary|security(?: vulnerabilities)?"
    r"|performance(?: optimi[sz]ations)?|best[ -]practices(?: and improvements)?"
)
_HEADING = re.compile(
    rf"^\s*(?:#{{1,6}}\s*|\*\*)?\s*(?P<name>{_SECTION_NAMES})\s*(?:\*\*)?\s*:?\s*(?:\*\*)?\s*$",
    re.I,
)


@dataclass(frozen=True)
class ForgeComment:
    external_id: str
    author: str
    body: str
    path: str | None = None
    line_start: int | None = None
    line_end: int | None = None
    parent_external_id: str | None = None


def reviewed_ticket(session: Session, target: Target) -> Submission | None:
    """The PR's ticket whose review is in progress or done (mirroring applies to it)."""
    return next((t for t in pr_tickets(session, target) if t.status in MIRRORED_STATUSES), None)


def _participant(ticket: Submission, forge: str, login: str) -> tuple[int | None, bool]:
    """(user id, is the reviewer) when ``login`` is the ticket's reviewer or owner."""
    if login_of(ticket.reviewer, forge) == login:
        return ticket.reviewer_id, True
    if login_of(ticket.owner, forge) == login:
        return ticket.owner_id, False
    return None, False


def _file_key(ticket_id: int, path: str | None) -> str | None:
    if not path:
        return None
    try:  # the workspace's keyed path hash, when present
        from reviews.filekeys import file_key
    except ImportError:
        return None
    return file_key(ticket_id, path)


def upsert(
    session: Session, target: Target, comment: ForgeComment, *, reviewer_only: bool = False
) -> str:
    ticket = reviewed_ticket(session, target)
    if ticket is None:
        return "ignored"
    author_id, is_reviewer = _participant(ticket, target.forge, comment.author)
    if author_id is None or (reviewer_only and not is_reviewer):
        return "ignored"
    parent = _find(session, target.forge, comment.parent_external_id or "")
    row = _find(session, target.forge, comment.external_id)
    if row is None:
        row = ReviewComment(
            submission_id=ticket.id,
            author_id=author_id,
            author_label=f"{comment.author} ({target.forge})",
            origin=target.forge,
            external_id=comment.external_id,
            posted_to_forge_at=utcnow(),
        )
        session.add(row)
    row.parent_id = parent.id if parent is not None else None
    row.body = comment.body or ""
    row.file_path = comment.path
    row.file_key = _file_key(ticket.id, comment.path)
    row.line_start, row.line_end = comment.line_start, comment.line_end or comment.line_start
    session.flush()
    return "processed"


def remove(session: Session, forge: str, external_id: str) -> str:
    row = _find(session, forge, external_id)
    if row is None:
        return "ignored"
    session.delete(row)
    session.flush()
    return "processed"


def _find(session: Session, origin: str, external_id: str) -> ReviewComment | None:
    if not external_id:
        return None
    return session.scalar(
        select(ReviewComment).where(
            ReviewComment.origin == origin, ReviewComment.external_id == external_id
        )
    )


def summary_sections(body: str | None) -> dict[str, str]:
    """Split a review body into overall / security / performance / best practices."""
    sections: dict[str, list[str]] = {"overall": []}
    current = "overall"
    for line in (body or "").splitlines():
        match = _HEADING.match(line)
        if match:
            name = match.group("name").lower()
            current = next(
                key
                for prefix, key in (
                    ("security", "security"),
                    ("performance", "performance"),
                    ("best", "best_practices"),
                    ("overall", "overall"),
                    ("summary", "overall"),
                )
                if name.startswith(prefix)
            )
            sections.setdefault(current, [])
            continue
        sections.setdefault(current, []).append(line)
    return {k: "\n".join(v).strip() for k, v in sections.items() if "\n".join(v).strip()}


def review_submitted(
    session: Session, target: Target, author: str, body: str | None, state: str
) -> str:
    """The assigned reviewer's PR review completes the ticket (or edits its summary)."""
    ticket = reviewed_ticket(session, target)
    if ticket is None or login_of(ticket.reviewer, target.forge) != author:
        return "ignored"
    state = (state or "").lower()
    if state == "commented" and not (body or "").strip():
        return "ignored"  # GitHub wraps a single inline comment in a body-less review
    sections = summary_sections(body)
    if not sections.get("overall"):
        label = state.replace("_", " ") or "commented"
        sections["overall"] = f"Reviewed on {target.forge} ({label}); see the comments there."
    try:
        with session.begin_nested():
            if ticket.status == TicketStatus.IN_REVIEW.value:
                complete_review(
                    session,
                    ticket,
                    actor=Actor(user_id=ticket.reviewer_id, label=f"{target.forge}:{author}"),
                    verdict=VERDICTS.get(state),
                    origin=target.forge,
                    **sections,
                )
            else:
                update_feedback(session, ticket, **sections)
    except ReviewError as exc:
        log.info("review on %s#%s not applied: %s", target.repo, target.number, exc)
        return "ignored"
    return "processed"


def _web_comments(session: Session, ticket: Submission) -> list[ReviewComment]:
    return list(
        session.scalars(
            select(ReviewComment)
            .where(
                ReviewComment.submission_id == ticket.id,
                ReviewComment.origin == "web",
                ReviewComment.posted_to_forge_at.is_(None),
                ReviewComment.parent_id.is_(None),
            )
            .order_by(ReviewComment.id)
        )
    )


def publish_web_comments(ticket_id: int) -> None:
    """Post the reviewer's not-yet-posted Vetted comments to the PR as one review."""
    from bot.events import ticket_link, ticket_target
    from bot.forge import ForgeGone, forge_call, open_pr
    from models.db import session_scope
    from settings import current_settings

    settings = current_settings()
    try:
        with session_scope() as session:
            ticket = session.get(Submission, ticket_id)
            if ticket is None or not ticket.head_sha:
                return
            rows = [r for r in _web_comments(session, ticket) if r.file_path and r.line_start]
            if not rows:
                return
            name = ticket.reviewer.display_name if ticket.reviewer else "the Vetted reviewer"
            body = (
                f"Review by **{name}**, posted by Vetted on their behalf "
                f"(ticket `{ticket.ticket_id}`: {ticket_link(settings, ticket)})."
            )
            comments = [_forge_comment(r, name) for r in rows]
            target = ticket_target(session, ticket)
            with forge_call(f"review on {target.repo}#{target.number}"):
                open_pr(session, settings, target).post_review(ticket.head_sha, body, comments)
            now = utcnow()
            for row in rows:
                row.posted_to_forge_at = now
    except ForgeGone as exc:
        log.warning("web comments not published: %s", exc)


def _forge_comment(row: ReviewComment, name: str) -> dict[str, object]:
    comment: dict[str, object] = {
        "path": row.file_path,
        "line": row.line_end or row.line_start,
        "side": "RIGHT",
        "body": f"**{name}** (Vetted reviewer): {row.body}",
    }
    if row.line_end and row.line_start and row.line_end > row.line_start:
        comment["start_line"] = row.line_start
        comment["start_side"] = "RIGHT"
    return comment
