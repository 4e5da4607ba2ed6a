"""The code viewer (``/tickets/<ticket_id>/code``) and its comment forms.

Only the ticket's developer, its accepted reviewer and admins get past ``code_ticket_or_404``;
everyone else, and every made-up URL, gets the same 404.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from models.db import db
from reviews import comments
from reviews.markdown import render_markdown
from web.ticket_access import code_ticket_or_404
from web.viewer_page import build_page

bp = Blueprint("viewer", __name__)

CATEGORY_LABELS = {
    "security": "Security",
    "performance": "Performance",
    "best-practice": "Best practice",
    "other": "Other",
}


def _int(name: str) -> int | None:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        return None


def _render(ticket, user, path, *, error=None, form=None, status=200):  # type: ignore[no-untyped-def]
    page = build_page(db, ticket, user, path)
    html = render_template(
        "workspace/viewer.html",
        page=page,
        user=user,
        md=render_markdown,
        categories=CATEGORY_LABELS,
        severities=comments.SEVERITIES,
        error=error,
        form=form or {},
    )
    return html, status


@bp.get("/tickets/<ticket_id>/code")
def code(ticket_id: str):  # type: ignore[no-untyped-def]
    ticket, user = code_ticket_or_404(ticket_id)
    return _render(ticket, user, request.args.get("path"))


def _back(ticket_id: str, path: str | None, anchor: str = "") -> str:
    url = url_for("viewer.code", ticket_id=ticket_id, path=path or None)
    return f"{url}#{anchor}" if anchor else url


@bp.post("/tickets/<ticket_id>/code/comments")
def add(ticket_id: str):  # type: ignore[no-untyped-def]
    ticket, user = code_ticket_or_404(ticket_id)
    path = request.form.get("path", "")
    start = _int("line_start")
    try:
        if start is None:
            raise comments.CommentError("Choose the line to comment on.")
        comment = comments.add_comment(
            db,
            ticket,
            user,
            path=path,
            line_start=start,
            line_end=_int("line_end"),
            body=request.form.get("body", ""),
            category=request.form.get("category", "other"),
            severity=request.form.get("severity", "info"),
            suggestion=request.form.get("suggestion")
            if request.form.get("with_suggestion")
            else None,
        )
    except comments.CommentError as exc:
        db.rollback()
        return _render(ticket, user, path, error=str(exc), form=request.form, status=400)
    db.commit()
    return redirect(_back(ticket.ticket_id, path, f"c{comment.id}"), 303)


def _thread_action(ticket_id: str, comment_id: int, action):  # type: ignore[no-untyped-def]
    ticket, user = code_ticket_or_404(ticket_id)
    try:
        comment = comments.get_comment(db, ticket, user, comment_id)
        root = comment if comment.parent_id is None else db.get(type(comment), comment.parent_id)
        action(ticket, user, comment)
    except comments.CommentNotFound:
        from flask import abort

        abort(404)
    except comments.CommentError as exc:
        db.rollback()
        flash(str(exc), "danger")
        return redirect(_back(ticket.ticket_id, request.form.get("path"), f"c{comment_id}"), 303)
    db.commit()
    return redirect(_back(ticket.ticket_id, root.file_path, f"c{root.id}"), 303)


@bp.post("/tickets/<ticket_id>/code/comments/<int:comment_id>/reply")
def reply(ticket_id: str, comment_id: int):  # type: ignore[no-untyped-def]
    body = request.form.get("body", "")
    return _thread_action(
        ticket_id, comment_id, lambda t, u, c: comments.reply(db, t, u, c.id, body)
    )


@bp.post("/tickets/<ticket_id>/code/comments/<int:comment_id>/edit")
def edit(ticket_id: str, comment_id: int):  # type: ignore[no-untyped-def]
    form = request.form
    suggestion = form.get("suggestion") if "suggestion" in form else None
    return _thread_action(
        ticket_id,
        comment_id,
        lambda t, u, c: comments.edit_comment(
            db,
            t,
            u,
            c.id,
            body=form.get("body"),
            suggestion=suggestion,
            category=form.get("category"),
            severity=form.get("severity"),
        ),
    )


@bp.post("/tickets/<ticket_id>/code/comments/<int:comment_id>/resolve")
def resolve(ticket_id: str, comment_id: int):  # type: ignore[no-untyped-def]
    resolved = request.form.get("resolved", "1") == "1"
    return _thread_action(
        ticket_id, comment_id, lambda t, u, c: comments.set_resolved(db, t, u, c.id, resolved)
    )
