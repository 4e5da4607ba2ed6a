"""The review's summary page: feedback, attachments (upload, download, diff) and the rating.

Every route first checks the user may open the ticket's code (404 otherwise); the actions are
then authorised again by the domain functions they call.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.utils import secure_filename

import policy
from models.db import db
from reviews import attachments
from reviews.fixdiff import FixDiffError, diff_attachment
from reviews.markdown import render_markdown
from web.panel import build_panel, panel_global
from web.ticket_access import code_ticket_or_404

bp = Blueprint("review", __name__)
bp.add_app_template_global(panel_global, "workspace_panel")
bp.add_app_template_global(render_markdown, "render_markdown")


def _back(ticket_id: str, anchor: str = "") -> str:
    url = url_for("review.page", ticket_id=ticket_id)
    return f"{url}#{anchor}" if anchor else url


@bp.get("/tickets/<ticket_id>/review")
def page(ticket_id: str):  # type: ignore[no-untyped-def]
    ticket, _user = code_ticket_or_404(ticket_id)
    return render_template("workspace/review.html", ticket=ticket, panel=build_panel(ticket))


@bp.post("/tickets/<ticket_id>/attachments")
def upload(ticket_id: str):  # type: ignore[no-untyped-def]
    ticket, user = code_ticket_or_404(ticket_id)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise attachments.AttachmentError("Choose a file to attach.")
        attachment = attachments.add_attachment(
            db,
            current_app.config["SETTINGS"],
            ticket,
            user,
            filename=upload.filename,
            stream=upload.stream,
            kind=request.form.get("kind", "report"),
        )
    except attachments.AttachmentError as exc:
        db.rollback()
        flash(str(exc), "danger")
        return redirect(_back(ticket.ticket_id, "attachments"), 303)
    db.commit()
    if attachment.scan_status == "pending":
        flash("Attached. The file will be available once the malware scan has run.", "info")
    else:
        flash(f"Attached {attachment.filename}.", "success")
    return redirect(_back(ticket.ticket_id, "attachments"), 303)


def _downloadable(ticket_id: str, attachment_id: int):  # type: ignore[no-untyped-def]
    ticket, user = code_ticket_or_404(ticket_id)
    try:
        return ticket, attachments.get_downloadable(db, ticket, user, attachment_id)
    except attachments.AttachmentNotFound:
        abort(404)


@bp.get("/tickets/<ticket_id>/attachments/<int:attachment_id>")
def download(ticket_id: str, attachment_id: int):  # type: ignore[no-untyped-def]
    _ticket, attachment = _downloadable(ticket_id, attachment_id)
    blob = attachments.open_attachment(attachment)

    def stream():  # type: ignore[no-untyped-def]
        with blob:
            while chunk := blob.read(256 * 1024):
                yield chunk

    name = secure_filename(attachment.filename) or f"attachment-{attachment.id}"
    return Response(
        stream(),
        mimetype="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(attachment.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/tickets/<ticket_id>/attachments/<int:attachment_id>/diff")
def diff(ticket_id: str, attachment_id: int):  # type: ignore[no-untyped-def]
    ticket, attachment = _downloadable(ticket_id, attachment_id)
    try:
        files, error = diff_attachment(ticket, attachment), None
    except FixDiffError as exc:
        files, error = [], str(exc)
    return render_template(
        "workspace/diff.html", ticket=ticket, attachment=attachment, files=files, error=error
    ), (200 if error is None else 422)


@bp.post("/tickets/<ticket_id>/feedback")
def feedback(ticket_id: str):  # type: ignore[no-untyped-def]
    from reviews.completion import ReviewError, complete_review
    from reviews.state import Actor
    from web.current import client_ip

    ticket, user = code_ticket_or_404(ticket_id)
    form = request.form
    verdict = form.get("verdict") or None
    try:
        if not policy.can_write_feedback(user, ticket):
            raise ReviewError("Only the assigned reviewer can complete this review.")
        complete_review(
            db,
            ticket,
            actor=Actor(user_id=user.id, label=user.email, ip=client_ip()),
            overall=form.get("overall", ""),
            security=form.get("security", ""),
            performance=form.get("performance", ""),
            best_practices=form.get("best_practices", ""),
            verdict=verdict,
        )
    except ReviewError as exc:
        db.rollback()
        return render_template(
            "workspace/review.html",
            ticket=ticket,
            panel=build_panel(ticket),
            error=str(exc),
            form=form,
        ), 400
    db.commit()
    flash("Review completed. The developer has been notified.", "success")
    return redirect(_back(ticket.ticket_id), 303)


def _score(name: str, required: bool = False) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # rate_ticket explains what a valid score is


@bp.post("/tickets/<ticket_id>/rating")
def rating(ticket_id: str):  # type: ignore[no-untyped-def]
    from reviews.ratings import RatingError, rate_ticket

    ticket, user = code_ticket_or_404(ticket_id)
    score = _score("score")
    try:
        if score is None:
            raise RatingError("Choose an overall rating from 1 to 5.")
        rate_ticket(
            db,
            ticket,
            user.id,
            score,
            helpfulness=_score("helpfulness"),
            depth=_score("depth"),
            clarity=_score("clarity"),
            comment=request.form.get("comment", "").strip() or None,
            show_submitter=request.form.get("show_submitter") == "1",
        )
    except RatingError as exc:
        db.rollback()
        return render_template(
            "workspace/review.html",
            ticket=ticket,
            panel=build_panel(ticket),
            error=str(exc),
            form=request.form,
        ), 400
    db.commit()
    flash("Thank you — your rating was saved.", "success")
    return redirect(_back(ticket.ticket_id, "rating"), 303)
