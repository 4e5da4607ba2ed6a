"""``POST /webhooks/gitlab``: check the hook token, de-duplicate, store, enqueue, answer 202."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Blueprint, Response, current_app, request
from sqlalchemy import or_, select

from models.db import db
from models.forges import Installation
from web.errors import UserFacingError
from webhooks.receipts import Incoming, accept, exempt_from_csrf, read_body, request_json

bp = Blueprint("webhooks_gitlab", __name__)
exempt_from_csrf(bp)

HANDLED_EVENTS = frozenset({"Merge Request Hook", "Note Hook"})


def project_of(payload: dict[str, Any]) -> dict[str, Any]:
    project = payload.get("project")
    return project if isinstance(project, dict) else {}


def _project_id(project: dict[str, Any]) -> int:
    value = project.get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def expected_tokens(payload: dict[str, Any]) -> list[str]:
    """The token of that project's integration (or its group's), else GITLAB_WEBHOOK_TOKEN."""
    project = project_of(payload)
    tokens: list[str] = []
    rows = db.scalars(
        select(Installation).where(
            Installation.forge == "gitlab",
            Installation.removed_at.is_(None),
            or_(
                Installation.external_id == _project_id(project),
                Installation.account_type == "group",
            ),
        )
    ).all()
    path = str(project.get("path_with_namespace") or "")
    for row in rows:
        is_project = row.account_type != "group" and row.external_id == project.get("id")
        is_group = row.account_type == "group" and path.startswith(f"{row.account_login}/")
        if (is_project or is_group) and row.webhook_token:
            tokens.append(row.webhook_token)
    if not tokens:
        fallback = current_app.config["SETTINGS"].gitlab_webhook_token
        if fallback:
            tokens.append(fallback)
    return tokens


def token_matches(tokens: list[str], given: str | None) -> bool:
    if not given:
        return False
    # compare against every candidate, so the time taken does not depend on which one matched
    results = [hmac.compare_digest(t.encode(), given.encode()) for t in tokens]
    return any(results)


def delivery_id_for(body: bytes) -> str:
    """``Idempotency-Key``, else ``X-Gitlab-Event-UUID``; older GitLab sends neither, and then
    the body's digest stands in (an identical body is the same event redelivered)."""
    for header in ("Idempotency-Key", "X-Gitlab-Event-UUID"):
        value = request.headers.get(header, "").strip()
        if value:
            if len(value) > 128:
                raise UserFacingError(400, f"The {header} header is too long.", code="bad_delivery")
            return value
    return "sha256:" + hashlib.sha256(body).hexdigest()


@bp.post("/webhooks/gitlab")
def receive() -> Response:
    body = read_body()
    given = request.headers.get("X-Gitlab-Token")
    if not given:
        raise UserFacingError(401, "The X-Gitlab-Token header is missing.", code="bad_token")
    payload = request_json()
    if not token_matches(expected_tokens(payload), given):
        raise UserFacingError(401, "The X-Gitlab-Token is wrong.", code="bad_token")
    event = request.headers.get("X-Gitlab-Event", "")
    if event not in HANDLED_EVENTS:
        raise UserFacingError(
            422, f"Vetted does not handle the {event or 'unnamed'!r} event.", code="unknown_event"
        )
    project_id = project_of(payload).get("id")
    incoming = Incoming("gitlab", delivery_id_for(body), event, payload, body.decode("utf-8"))
    return accept(incoming, str(project_id) if project_id is not None else None)
