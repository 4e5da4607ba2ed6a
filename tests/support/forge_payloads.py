"""Real webhook payloads from ../shared/fixtures, signed as GitHub and GitLab sign them."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests.support.services import unavailable
from webhooks.github import signature_for

REPO = Path(__file__).resolve().parents[2]

GITHUB_SECRET = "test-webhook-secret"
GITLAB_TOKEN = "test-gitlab-hook-token"

# SOURCES.md: the X-Gitlab-Event header of each GitLab payload file
GITLAB_EVENTS = {
    "merge_request.json": "Merge Request Hook",
    "group_merge_request.json": "Merge Request Hook",
    "service_merge_request.json": "Merge Request Hook",
    "merge_request_events.payload.json": "Merge Request Hook",
    "go-scm__pull_request_create.json": "Merge Request Hook",
    "go-scm__pull_request_review_ready.json": "Merge Request Hook",
    "zulip__merge_request_hook__merge_request_approval.json": "Merge Request Hook",
    "zulip__merge_request_hook__merge_request_created_with_multiple_assignees.json": (
        "Merge Request Hook"
    ),
    "cogni-git-review__test_repo_merge_request.opened.body.json": "Merge Request Hook",
    "note_merge_request.json": "Note Hook",
    "note_issue.json": "Note Hook",
    "note_commit.json": "Note Hook",
    "comment_on_a_merge_request.payload.json": "Note Hook",
    "go-scm__merge_request_comment_create.json": "Note Hook",
    "go-scm__review_comment_create.json": "Note Hook",
    "zulip__note_hook__merge_request_note.json": "Note Hook",
    "zulip__note_hook__design_note.json": "Note Hook",
    "push.json": "Push Hook",
}


def fixtures_dir() -> Path:
    candidates = [
        os.environ.get("VETTED_FIXTURES", ""),
        str(REPO.parent / "shared" / "fixtures"),
        "/work/shared/fixtures",
    ]
    for candidate in candidates:
        if candidate and Path(candidate, "github-webhooks").is_dir():
            return Path(candidate)
    unavailable("the shared fixtures (../shared/fixtures) are not present")
    raise AssertionError("unreachable")


def github_files() -> list[tuple[str, Path]]:
    """(X-GitHub-Event, file) for every GitHub payload: the folder name is the event."""
    root = fixtures_dir() / "github-webhooks"
    return sorted((p.parent.name, p) for p in root.glob("*/*.json"))


def gitlab_files() -> list[tuple[str, Path]]:
    root = fixtures_dir() / "gitlab-webhooks"
    return sorted((GITLAB_EVENTS[p.name], p) for p in root.glob("*.json"))


def github_payload(relative: str) -> dict[str, Any]:
    return json.loads((fixtures_dir() / "github-webhooks" / relative).read_text())


def gitlab_payload(name: str) -> dict[str, Any]:
    return json.loads((fixtures_dir() / "gitlab-webhooks" / name).read_text())


def github_headers(
    event: str, body: bytes, secret: str = GITHUB_SECRET, delivery: str | None = None
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/test",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": signature_for(secret, body),
    }


def gitlab_headers(
    event: str, token: str = GITLAB_TOKEN, uuid_value: str | None = None, key: str | None = None
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "X-Gitlab-Event": event,
        "X-Gitlab-Token": token,
        "X-Gitlab-Event-UUID": uuid_value or str(uuid.uuid4()),
    }
    if key:
        headers["Idempotency-Key"] = key
    return headers


@contextmanager
def running_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app on a real socket (werkzeug in a thread); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def stored_deliveries_and_jobs(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(webhook deliveries stored, delivery-processing jobs in the outbox), fresh from the DB."""
    from models.forges import WebhookDelivery
    from models.outbox import Outbox
    from webhooks.receipts import PROCESS_JOB

    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(WebhookDelivery)),
        session.scalar(select(func.count()).select_from(Outbox).where(Outbox.job == PROCESS_JOB)),
    )
