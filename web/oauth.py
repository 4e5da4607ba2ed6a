"""Optional "Sign in with GitHub / GitLab" (Authlib), offered only when a client id is set."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_client import OAuth, OAuthError
from flask import Blueprint, Flask, current_app, flash, redirect, url_for
from requests import RequestException

from accounts.external import ExternalIdentity, user_for_identity
from accounts.users import AccountError
from models.audit import record_audit
from models.db import db
from settings import Settings
from web.current import client_ip, sign_in_session
from web.errors import UserFacingError
from web.ipblocks import note_offence

log = logging.getLogger(__name__)

bp = Blueprint("oauth", __name__, url_prefix="/oauth")
LABELS = {"github": "GitHub", "gitlab": "GitLab"}


@dataclass(frozen=True)
class Provider:
    name: str
    label: str


def _register(oauth: OAuth, settings: Settings) -> list[Provider]:
    providers = []
    if settings.github_client_id:
        web_url = settings.github_web_url.rstrip("/")
        oauth.register(
            "github",
            client_id=settings.github_client_id,
            client_secret=settings.github_client_secret,
            authorize_url=f"{web_url}/login/oauth/authorize",
            access_token_url=f"{web_url}/login/oauth/access_token",
            api_base_url=settings.github_api_url.rstrip("/") + "/",
            client_kwargs={"scope": "read:user user:email", "timeout": 10},
        )
        providers.append(Provider("github", LABELS["github"]))
    if settings.gitlab_client_id:
        base = settings.gitlab_url.rstrip("/")
        oauth.register(
            "gitlab",
            client_id=settings.gitlab_client_id,
            client_secret=settings.gitlab_client_secret,
            authorize_url=f"{base}/oauth/authorize",
            access_token_url=f"{base}/oauth/token",
            api_base_url=f"{base}/api/v4/",
            client_kwargs={"scope": "read_user", "timeout": 10},
        )
        providers.append(Provider("gitlab", LABELS["gitlab"]))
    return providers


def init_oauth(app: Flask, settings: Settings) -> None:
    oauth = OAuth(app)
    providers = _register(oauth, settings)
    app.extensions["vetted_oauth"] = (oauth, providers)
    app.context_processor(lambda: {"oauth_providers": providers})


def _client(provider: str) -> Any:
    oauth, providers = current_app.extensions["vetted_oauth"]
    if provider not in {p.name for p in providers}:
        raise UserFacingError(404, "That sign-in method is not available.")
    return oauth.create_client(provider)


def _github_identity(client: Any, token: dict) -> ExternalIdentity:
    profile = client.get("user", token=token).json()
    email, verified = None, False
    emails = client.get("user/emails", token=token)
    if emails.ok:
        for entry in emails.json():
            if isinstance(entry, dict) and entry.get("primary"):
                email, verified = entry.get("email"), bool(entry.get("verified"))
    return ExternalIdentity(
        "github", str(profile.get("login") or ""), email, verified, str(profile.get("name") or "")
    )


def _gitlab_identity(client: Any, token: dict) -> ExternalIdentity:
    profile = client.get("user", token=token).json()
    # ``confirmed_at`` is set once the user confirmed their primary address with GitLab.
    verified = bool(profile.get("confirmed_at"))
    return ExternalIdentity(
        "gitlab",
        str(profile.get("username") or ""),
        profile.get("email"),
        verified and bool(profile.get("email")),
        str(profile.get("name") or ""),
    )


@bp.get("/<provider>/login")
def login(provider: str):  # type: ignore[no-untyped-def]
    client = _client(provider)
    settings: Settings = current_app.config["SETTINGS"]
    redirect_uri = settings.base_url.rstrip("/") + url_for("oauth.callback", provider=provider)
    return client.authorize_redirect(redirect_uri)


@bp.get("/<provider>/callback")
def callback(provider: str):  # type: ignore[no-untyped-def]
    client = _client(provider)
    try:
        token = client.authorize_access_token()
        reader = _github_identity if provider == "github" else _gitlab_identity
        identity = reader(client, token)
    except OAuthError as exc:
        log.info("OAuth sign-in refused: %s", exc.error)
        note_offence("failed OAuth sign-in")
        flash(f"Sign-in with {LABELS[provider]} did not complete. Please try again.", "danger")
        return redirect(url_for("auth.sign_in"))
    except (RequestException, ValueError) as exc:
        log.warning("OAuth provider unreachable: %s", exc.__class__.__name__)
        raise UserFacingError(
            503, f"{LABELS[provider]} is not answering. Please try again in a moment."
        ) from exc
    try:
        user, created = user_for_identity(db, identity)
    except AccountError as exc:
        db.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("auth.sign_in"))
    record_audit(
        db,
        "user.sign_up" if created else "user.sign_in",
        actor_id=user.id,
        ip=client_ip(),
        object_type="user",
        object_id=user.id,
        method=provider,
    )
    db.commit()
    sign_in_session(user)
    return redirect(url_for("dashboard.index"))
