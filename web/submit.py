"""The submit page: upload an archive (resumable, through tus) or give a repository URL."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from intake.scanning import clamd_ping
from models.reviewers import REVIEW_TYPES
from web.current import current_user, login_required
from web.errors import UserFacingError
from web.health import READINESS_CHECKS
from web.submitting import create_submission, refuse_oversized_body

bp = Blueprint("submit", __name__)

REVIEW_LABELS = {
    "security": "Security audit",
    "performance": "Performance audit",
    "best-practices": "Best practices",
}


def _scanner() -> str | None:
    settings = current_app.config["SETTINGS"]
    if settings.clamd_url and not clamd_ping(settings.clamd_url):
        return "clamd unreachable"
    return None


READINESS_CHECKS["scanner"] = _scanner


def _render(error: str | None = None, status: int = 200, tab: str = "upload"):  # type: ignore[no-untyped-def]
    settings = current_app.config["SETTINGS"]
    return (
        render_template(
            "submit/new.html",
            review_types=[(value, REVIEW_LABELS[value]) for value in REVIEW_TYPES],
            max_upload_mib=settings.max_upload_bytes // (1024 * 1024),
            max_upload_bytes=settings.max_upload_bytes,
            error=error,
            values=request.form,
            tab=tab,
        ),
        status,
    )


@bp.get("/submit")
@login_required
def new():  # type: ignore[no-untyped-def]
    return _render()


@bp.post("/submit")
@login_required
def create():  # type: ignore[no-untyped-def]
    settings = current_app.config["SETTINGS"]
    tab = "repo" if request.form.get("repo_url") else "upload"
    try:
        refuse_oversized_body(settings)
        values = {
            "review_types": request.form.getlist("review_types"),
            "description": request.form.get("description"),
            "hints": request.form.get("hints"),
            "repo_url": request.form.get("repo_url")
            if request.form.get("source") != "upload"
            else "",
            "upload_id": request.form.get("upload_id")
            if request.form.get("source") != "repo"
            else "",
        }
        archive = request.files.get("archive") if request.form.get("source") != "repo" else None
        ticket = create_submission(current_user(), values, archive)  # type: ignore[arg-type]
    except UserFacingError as error:
        if error.code in (413, 415):
            return _render(error.description, error.code, tab)
        return _render(error.description, 422 if error.code >= 500 else error.code, tab)
    return redirect(url_for("tickets.show", ticket_id=ticket.ticket_id), 303)
