"""Public reviewer profiles (``/reviewers/<handle>``) and the directory (``/reviewers``)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from models.db import db
from reviews import profiles
from reviews.markdown import render_markdown

bp = Blueprint("profiles", __name__)


@bp.get("/reviewers")
def directory():  # type: ignore[no-untyped-def]
    everyone = profiles.directory(db)
    expertise = request.args.get("expertise", "").strip() or None
    shown = profiles.directory(db, expertise=expertise) if expertise else everyone
    return render_template(
        "workspace/directory.html",
        reviewers=shown,
        tags=profiles.all_verified_tags(everyone),
        expertise=expertise,
    )


@bp.get("/reviewers/<handle>")
def show(handle: str):  # type: ignore[no-untyped-def]
    profile = profiles.find_public(db, handle)
    if profile is None:
        abort(404)
    return render_template(
        "workspace/profile.html",
        view=profiles.public_profile(db, profile),
        bio=render_markdown(profile.bio),
    )
