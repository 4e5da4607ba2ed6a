"""The landing page and the signed-in dashboard."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from web.current import current_user, login_required

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def home():  # type: ignore[no-untyped-def]
    if current_user() is not None:
        return redirect(url_for("dashboard.index"))
    return render_template("home.html")


@bp.get("/dashboard")
@login_required
def index():  # type: ignore[no-untyped-def]
    return render_template("dashboard.html", user=current_user())
