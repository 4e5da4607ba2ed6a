"""Arranging review workspaces for tests: people, a ticket in review, its stored code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from intake.code import store_tree_for_ticket
from models.base import utcnow
from models.offers import Offer
from models.reviewers import ReviewerProfile
from models.tickets import Submission, TicketStatus
from models.users import User
from reviews.state import transition
from settings import Settings, activate
from tests.support.factories import make_ticket, make_user

S = TicketStatus

SAMPLE_FILES: dict[str, str] = {
    "app/main.py": (
        "import os\n\n\ndef handler(request):\n"
        '    query = "SELECT * FROM users WHERE id = " + request.args["id"]\n'
        "    return db.execute(query)\n\n\ndef slow(items):\n"
        "    out = []\n    for i in items:\n        out = out + [i]\n    return out\n"
    ),
    "app/util.js": "function add(a, b) {\n  return a + b\n}\n\nmodule.exports = { add }\n",
    "README.md": "# Sample\n\nA tiny project to review.\n",
    "assets/logo.bin": "\x00\x01\x02binary",
}


def write_tree(directory: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return directory


def make_reviewer(
    session: Session, email: str, handle: str, tags: list[str] | None = None, name: str = ""
) -> User:
    user = make_user(session, email, "reviewer", name=name)
    session.add(
        ReviewerProfile(
            user_id=user.id,
            handle=handle,
            bio="Security reviewer. **Ten years** of Python.",
            expertise=tags or ["security", "python"],
            verified_tags=tags or ["security", "python"],
        )
    )
    session.flush()
    return user


def advance_to_review(session: Session, ticket: Submission, reviewer: User) -> Offer:
    """Walk the ticket through the state machine to ``in_review`` with ``reviewer`` assigned."""
    for status in (S.SCANNING, S.MATCHING, S.OFFERED):
        transition(session, ticket, status)
    offer = Offer(
        submission_id=ticket.id,
        reviewer_id=reviewer.id,
        status="accepted",
        expires_at=utcnow() + timedelta(hours=4),
        decided_at=utcnow(),
    )
    session.add(offer)
    ticket.reviewer_id = reviewer.id
    transition(session, ticket, S.IN_REVIEW)
    return offer


@dataclass
class Workspace:
    owner: User
    reviewer: User
    ticket: Submission


def make_workspace(
    session: Session,
    settings: Settings,
    tmp_path: Path,
    *,
    owner_email: str = "dev@example.com",
    reviewer_email: str = "rev@example.com",
    handle: str = "reva",
    files: dict[str, str | bytes] | None = None,
) -> Workspace:
    activate(settings)
    owner = make_user(session, owner_email, name="Dev Eloper")
    reviewer = make_reviewer(session, reviewer_email, handle, name="Reva Viewer")
    ticket = make_ticket(session, owner, review_types=["security", "performance"])
    tree = write_tree(tmp_path / f"code-{ticket.id}", files or SAMPLE_FILES)
    store_tree_for_ticket(session, ticket, tree)
    advance_to_review(session, ticket, reviewer)
    session.commit()
    return Workspace(owner, reviewer, ticket)


def forget_user() -> None:
    """The ``app`` fixture holds one app context for the whole test, so ``g`` (where the current
    user is cached) outlives each request; switching users within a test must clear it."""
    from flask import g

    g.pop("current_user", None)
    g.pop("api_token", None)


def sign_in(client, user: User) -> None:  # type: ignore[no-untyped-def]
    forget_user()
    with client.session_transaction() as sess:
        sess["uid"] = user.id
        sess["epoch"] = user.session_epoch


def make_clean_attachment(session: Session, ticket: Submission, uploader: User, **fields):  # type: ignore[no-untyped-def]
    """An attachment already scanned clean (for tests that are about access, not scanning)."""
    from intake.storage import store_bytes
    from models.reviews import Attachment

    data: bytes = fields.pop("data", b"# Report\n\nAll good.\n")
    attachment = Attachment(
        submission_id=ticket.id,
        uploader_id=uploader.id,
        filename=fields.pop("filename", "report.md"),
        content_type="text/markdown",
        size=len(data),
        kind=fields.pop("kind", "report"),
        storage_key=store_bytes(data),
        scan_status=fields.pop("scan_status", "clean"),
        **fields,
    )
    session.add(attachment)
    session.flush()
    return attachment
