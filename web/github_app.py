"""Registering the GitHub App from the running server (GitHub's App-manifest flow).

The admin presses "Register GitHub App": a form posts the manifest to GitHub, which creates
the App and sends the admin back with a one-time ``code``; exchanging it returns the App id,
private key and webhook secret, stored encrypted in ``GitHubAppCredentials``.
"""

from __future__ import annotations

import json
import secrets

from flask import Blueprint, current_app, render_template, request, session

from forges.errors import ForgeError, ForgeUnavailable, NotFound
from forges.http import ForgeClient
from forges.manifest import manifest_for
from models.audit import record_audit
from models.db import db
from models.forges import GitHubAppCredentials
from models.users import Role
from web.current import client_ip, current_user, role_required
from web.errors import UserFacingError

bp = Blueprint("github_app", __name__)
STATE_KEY = "github_manifest_state"


@bp.get("/github/app/register")
@role_required(Role.ADMIN)
def register():  # type: ignore[no-untyped-def]
    settings = current_app.config["SETTINGS"]
    state = secrets.token_urlsafe(24)
    session[STATE_KEY] = state
    org = request.args.get("org", "").strip()
    target = f"organizations/{org}/settings/apps/new" if org else "settings/apps/new"
    return render_template(
        "github_app/register.html",
        action=f"{settings.github_web_url.rstrip('/')}/{target}?state={state}",
        manifest=json.dumps(manifest_for(settings.base_url)),
        existing=db.query(GitHubAppCredentials).order_by(GitHubAppCredentials.id.desc()).first(),
        configured=bool(settings.github_app_id),
    )


@bp.get("/github/app/registered")
@role_required(Role.ADMIN)
def registered():  # type: ignore[no-untyped-def]
    code = request.args.get("code", "")
    expected = session.pop(STATE_KEY, None)
    if not expected or not secrets.compare_digest(expected, request.args.get("state", "")):
        raise UserFacingError(
            400,
            "This registration link is not the one we started. Please register again.",
            code="bad_state",
        )
    if not code or len(code) > 100 or not code.replace("-", "").replace("_", "").isalnum():
        raise UserFacingError(400, "GitHub did not send a registration code.", code="no_code")
    settings = current_app.config["SETTINGS"]
    client = ForgeClient(settings.github_api_url, auth_scheme="none", user_agent="Vetted")
    try:
        app = client.request("POST", f"/app-manifests/{code}/conversions").json()
    except NotFound:
        raise UserFacingError(
            400,
            "GitHub did not recognise this code (it is valid for one hour, once).",
            code="bad_code",
        ) from None
    except (ForgeError, ForgeUnavailable):
        raise UserFacingError(503, "GitHub could not be reached. Please try again.") from None
    credentials = GitHubAppCredentials(
        app_id=str(app["id"]),
        slug=app.get("slug") or "",
        client_id=app.get("client_id"),
        client_secret=app.get("client_secret"),
        private_key=app["pem"],
        webhook_secret=app["webhook_secret"],
        html_url=app.get("html_url"),
    )
    db.add(credentials)
    user = current_user()
    record_audit(
        db(),
        "github_app.registered",
        actor_id=user.id if user else None,
        ip=client_ip(),
        object_type="github_app",
        object_id=credentials.app_id,
    )
    db.commit()
    return render_template("github_app/registered.html", app=credentials)
