"""Inline review comments: add on a line or range, reply in threads, edit, resolve, re-open.

Every change is authorised here through ``policy`` (the web and API layers only translate), so
the bot and the API cannot take a shortcut the browser cannot. A comment someone may not see is
reported as not found, never as forbidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

import policy
from models.audit import record_audit
from models.reviews import COMMENT_CATEGORIES, SEVERITIES, ReviewComment
from models.tickets import Submission, TicketStatus
from models.users import User
from reviews.filekeys import file_key, file_keys

MAX_BODY = 20_000
MAX_SUGGESTION = 20_000
MAX_RANGE = 500


class CommentError(ValueError):
    """The comment cannot be made or changed; the message says why, for the person asking."""


class CommentNotFound(LookupError):
    """No such comment on this ticket, or not one this user may see."""


@dataclass
class Thread:
    """A top-level comment and its replies, oldest first."""

    root: ReviewComment
    replies: list[ReviewComment] = field(default_factory=list)


LineCounter = Callable[[Submission, str], int]


def _count_lines(ticket: Submission, path: str) -> int:
    """How many lines the stored file has; raises CommentError for a missing or binary file."""
    from intake.code import read_file

    try:
        data = read_file(ticket, path)
    except FileNotFoundError:
        raise CommentError(f"There is no file {path!r} in this ticket's code.") from None
    if b"\x00" in data[:8192]:
        raise CommentError("Binary files cannot carry line comments.")
    return max(1, len(data.splitlines()))


def _clean_body(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise CommentError("Please write a comment.")
    if len(text) > MAX_BODY:
        raise CommentError(f"A comment can be at most {MAX_BODY:,} characters.")
    return text


def _clean_suggestion(suggestion: str | None) -> str | None:
    if suggestion is None or suggestion == "":
        return None
    if len(suggestion) > MAX_SUGGESTION:
        raise CommentError(f"A suggestion can be at most {MAX_SUGGESTION:,} characters.")
    return suggestion.replace("\r\n", "\n")


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise CommentError(f"Unknown {what} {value!r}: choose one of {', '.join(choices)}.")
    return value


def _check_range(line_start: int, line_end: int | None, line_count: int) -> tuple[int, int]:
    end = line_start if line_end is None else line_end
    if line_start < 1 or end < line_start:
        raise CommentError("The selected lines are not a valid range.")
    if end > line_count:
        raise CommentError(f"The file has only {line_count} lines.")
    if end - line_start + 1 > MAX_RANGE:
        raise CommentError(f"A comment can cover at most {MAX_RANGE} lines.")
    return line_start, end


def can_start_thread(user: User | None, ticket: Submission) -> bool:
    """The assigned reviewer (and admins) open threads while the review is in progress."""
    return (
        policy.can_comment(user, ticket)
        and ticket.status == TicketStatus.IN_REVIEW.value
        and (policy.is_assigned_reviewer(user, ticket) or policy.is_admin(user))
    )


def add_comment(
    session: Session,
    ticket: Submission,
    author: User,
    *,
    path: str,
    line_start: int,
    line_end: int | None = None,
    body: str,
    category: str = "other",
    severity: str = "info",
    suggestion: str | None = None,
    count_lines: LineCounter = _count_lines,
) -> ReviewComment:
    if not can_start_thread(author, ticket):
        raise CommentError("Only the assigned reviewer can add comments while the review is open.")
    text = _clean_body(body)
    _check_choice(category, COMMENT_CATEGORIES, "category")
    _check_choice(severity, SEVERITIES, "severity")
    start, end = _check_range(line_start, line_end, count_lines(ticket, path))
    comment = ReviewComment(
        submission_id=ticket.id,
        author_id=author.id,
        author_label=author.display_name,
        file_path=path,
        file_key=file_key(ticket.id, path),
        line_start=start,
        line_end=end,
        body=text,
        suggestion=_clean_suggestion(suggestion),
        category=category,
        severity=severity,
    )
    session.add(comment)
    session.flush()
    record_audit(
        session,
        "comment.added",
        actor_id=author.id,
        object_type="ticket",
        object_id=ticket.ticket_id,
        comment_id=comment.id,
    )
    return comment


def get_comment(
    session: Session, ticket: Submission, user: User | None, comment_id: int
) -> ReviewComment:
    comment = session.get(ReviewComment, comment_id)
    if comment is None or comment.submission_id != ticket.id:
        raise CommentNotFound(comment_id)
    if not policy.can_view_code(user, ticket):
        raise CommentNotFound(comment_id)
    return comment


def reply(
    session: Session, ticket: Submission, author: User, parent_id: int, body: str
) -> ReviewComment:
    """Replies hang off the thread's root (a reply to a reply joins the same thread)."""
    parent = get_comment(session, ticket, author, parent_id)
    if not policy.can_comment(author, ticket):
        raise CommentError("Replies are closed for this ticket.")
    root = (
        parent
        if parent.parent_id is None
        else get_comment(session, ticket, author, parent.parent_id)
    )
    comment = ReviewComment(
        submission_id=ticket.id,
        author_id=author.id,
        author_label=author.display_name,
        parent_id=root.id,
        body=_clean_body(body),
        category=root.category,
        severity=root.severity,
    )
    session.add(comment)
    session.flush()
    return comment


def edit_comment(
    session: Session,
    ticket: Submission,
    user: User,
    comment_id: int,
    *,
    body: str | None = None,
    suggestion: str | None = None,
    category: str | None = None,
    severity: str | None = None,
) -> ReviewComment:
    """Authors (and admins) edit; ``None`` leaves a field alone, ``""`` clears the suggestion."""
    comment = get_comment(session, ticket, user, comment_id)
    if not policy.can_edit_comment(user, comment) or not policy.can_comment(user, ticket):
        raise CommentError("You can only edit your own comments while the ticket is open.")
    if body is not None:
        comment.body = _clean_body(body)
    if comment.parent_id is None:
        if suggestion is not None:
            comment.suggestion = _clean_suggestion(suggestion)
        if category is not None:
            comment.category = _check_choice(category, COMMENT_CATEGORIES, "category")
        if severity is not None:
            comment.severity = _check_choice(severity, SEVERITIES, "severity")
    session.flush()
    return comment


def set_resolved(
    session: Session, ticket: Submission, user: User, comment_id: int, resolved: bool
) -> ReviewComment:
    comment = get_comment(session, ticket, user, comment_id)
    if not policy.can_resolve_comment(user, ticket):
        raise CommentError("Only the developer, the reviewer or an admin can resolve comments.")
    if comment.parent_id is not None:
        raise CommentError("Resolve the thread, not a reply.")
    if comment.resolved != resolved:
        comment.resolved = resolved
        record_audit(
            session,
            "comment.resolved" if resolved else "comment.reopened",
            actor_id=user.id,
            object_type="ticket",
            object_id=ticket.ticket_id,
            comment_id=comment.id,
        )
    session.flush()
    return comment


def threads_for_ticket(session: Session, ticket: Submission) -> list[Thread]:
    """Every thread of the ticket, ordered by file then line (callers group by path)."""
    rows = session.scalars(
        select(ReviewComment)
        .where(ReviewComment.submission_id == ticket.id)
        .order_by(ReviewComment.id)
    ).all()
    return _thread(rows)


def threads_for_file(session: Session, ticket: Submission, path: str) -> list[Thread]:
    keys = file_keys(ticket.id, path)
    roots = session.scalars(
        select(ReviewComment).where(
            ReviewComment.submission_id == ticket.id, ReviewComment.file_key.in_(keys)
        )
    ).all()
    if not roots:
        return []
    replies = session.scalars(
        select(ReviewComment)
        .where(ReviewComment.parent_id.in_([r.id for r in roots]))
        .order_by(ReviewComment.id)
    ).all()
    return _thread([*roots, *replies])


def _thread(rows: list[ReviewComment] | tuple[ReviewComment, ...]) -> list[Thread]:
    threads: dict[int, Thread] = {}
    for row in rows:
        if row.parent_id is None:
            threads[row.id] = Thread(row)
    for row in sorted(rows, key=lambda r: r.id):
        if row.parent_id is not None and row.parent_id in threads:
            threads[row.parent_id].replies.append(row)
    return sorted(
        threads.values(),
        key=lambda t: (t.root.file_path or "", t.root.line_start or 0, t.root.id),
    )
