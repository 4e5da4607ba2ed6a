"""``POST /webhooks/github``: verify the signature, de-duplicate, store, enqueue, answer 202.

Nothing here calls GitHub: the answer must come back fast whatever GitHub's API is doing.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, request
from sqlalchemy import select

from models.db import db
from models.forges import GitHubAppCredentials
from web.errors import UserFacingError
from webhooks.receipts import Incoming, accept, exempt_from_csrf, read_body, request_json

bp = Blueprint("webhooks_github", __name__)
exempt_from_csrf(bp)

# The events Vetted subscribes to (app.yml lists exactly these, minus the implicit ones).
HANDLED_EVENTS = frozenset(
    {
        "ping",
        "installation",
        "installation_repositories",
        "pull_request",
        "issue_comment",
        "pull_request_review",
        "pull_request_review_comment",
    }
)
# Sent to every App whether subscribed or not (so not listed in the manifest's events).
IMPLICIT_EVENTS = frozenset({"ping", "installation", "installation_repositories"})


def signature_for(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the raw body, as GitHub computes it (one-shot in
    OpenSSL, without building an ``hmac.HMAC`` object)."""
    return "sha256=" + hmac.digest(secret.encode(), body, "sha256").hex()


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    if not secret or not header:
        return False
    return hmac.compare_digest(signature_for(secret, body).encode(), header.strip().encode())


def stored_secret() -> str | None:
    """The webhook secret the manifest flow stored, if any."""
    stored = db.scalar(
        select(GitHubAppCredentials).order_by(GitHubAppCredentials.id.desc()).limit(1)
    )
    return stored.webhook_secret if stored is not None else None


def verified(body: bytes, header: str | None) -> bool:
    """The configured secret first (no query); then the one from the manifest flow."""
    configured = current_app.config["SETTINGS"].github_webhook_secret
    if configured and signature_matches(configured, body, header):
        return True
    if not header:
        return False
    return signature_matches(stored_secret() or "", body, header)


@bp.post("/webhooks/github")
def receive() -> Response:
    body = read_body()
    header = request.headers.get("X-Hub-Signature-256")
    if not verified(body, header):
        raise UserFacingError(
            401, "The X-Hub-Signature-256 signature is missing or wrong.", code="bad_signature"
        )
    event = request.headers.get("X-GitHub-Event", "")
    if event not in HANDLED_EVENTS:
        raise UserFacingError(
            422, f"Vetted does not handle the {event or 'unnamed'!r} event.", code="unknown_event"
        )
    delivery_id = request.headers.get("X-GitHub-Delivery", "").strip()
    if not delivery_id or len(delivery_id) > 128:
        raise UserFacingError(400, "The X-GitHub-Delivery header is missing.", code="no_delivery")
    payload = request_json()
    installation = payload.get("installation") or {}
    ref = (
        str(installation["id"]) if isinstance(installation, dict) and "id" in installation else None
    )
    incoming = Incoming("github", delivery_id, event, payload, body.decode("utf-8"))
    return accept(incoming, ref)
