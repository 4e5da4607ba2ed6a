"""The landing page and the signed-in dashboard (developer, reviewer and admin sections)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from models.db import db
from models.tickets import TicketStatus
from models.users import Role
from reviews import dashboards
from web.current import current_user, login_required

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def home():  # type: ignore[no-untyped-def]
    if current_user() is not None:
        return redirect(url_for("dashboard.index"))
    return render_template("home.html")


def _status_filter() -> str | None:
    """Unknown statuses are ignored rather than answered with an error (it is only a filter)."""
    value = request.args.get("status", "")
    return value if value in {s.value for s in TicketStatus} else None


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.get("/dashboard")
@login_required
def index():  # type: ignore[no-untyped-def]
    user = current_user()
    status = _status_filter()
    context = {
        "user": user,
        "status": status,
        "tickets": dashboards.developer_tickets(db, user, status=status, page=_page()),
        "counts": dashboards.status_counts(db, owner=user),
        "labels": dashboards.STATUS_LABELS,
        "progress_of": dashboards.progress_of,
        "time_left": dashboards.time_left,
        "board": None,
        "admin": None,
    }
    context["show_developer"] = (
        user.has_role(Role.DEVELOPER) or context["tickets"].total > 0 or status is not None
    )
    if user.has_role(Role.REVIEWER):
        context["board"] = dashboards.reviewer_board(db, user)
    if user.has_role(Role.ADMIN):
        context["admin"] = dashboards.admin_board(db)
    return render_template("dashboard.html", **context)
