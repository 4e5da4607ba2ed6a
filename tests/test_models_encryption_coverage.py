"""Encryption coverage: after writing every encrypted kind of content, a pg_dump of the whole
database and the storage directory contain none of the plaintext."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from models.audit import record_audit
from models.base import utcnow
from models.reviews import Attachment, Feedback, Rating, ReviewComment
from tests.support.factories import make_ticket, make_user
from tests.support.services import unavailable

SECRETS = {
    "description": "PLAINTEXT-DESCRIPTION-7f3a",
    "comment": "PLAINTEXT-COMMENT-BODY-91c2",
    "suggestion": "PLAINTEXT-SUGGESTION-44de",
    "path": "src/PLAINTEXT-PATH-0b7e.py",
    "feedback": "PLAINTEXT-FEEDBACK-a1f0",
    "rating": "PLAINTEXT-RATING-COMMENT-5c8b",
    "filename": "PLAINTEXT-ATTACHMENT-d2e9.pdf",
}


def _pg_dump(url: str) -> str:
    binary = shutil.which("pg_dump")
    if binary is None:
        unavailable("pg_dump is not installed")
    parsed = make_url(url)
    return subprocess.run(
        [
            binary,
            "--data-only",
            "-h",
            parsed.host or "127.0.0.1",
            "-p",
            str(parsed.port or 5432),
            "-U",
            parsed.username or "postgres",
            parsed.database or "",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


def test_no_plaintext_of_code_comments_or_feedback_is_stored(pg_url, session, settings):
    owner = make_user(session, "owner@example.com")
    reviewer = make_user(session, "rev@example.com", "reviewer")
    ticket = make_ticket(session, owner, description=SECRETS["description"])
    ticket.reviewer_id = reviewer.id
    session.flush()
    session.add(
        ReviewComment(
            submission_id=ticket.id,
            author_id=reviewer.id,
            file_path=SECRETS["path"],
            body=SECRETS["comment"],
            suggestion=SECRETS["suggestion"],
        )
    )
    session.add(
        Feedback(
            submission_id=ticket.id,
            author_id=reviewer.id,
            overall=SECRETS["feedback"],
            security=SECRETS["feedback"],
            performance=SECRETS["feedback"],
            best_practices=SECRETS["feedback"],
        )
    )
    session.add(
        Attachment(
            submission_id=ticket.id,
            uploader_id=reviewer.id,
            filename=SECRETS["filename"],
            content_type="application/pdf",
            size=1,
        )
    )
    session.add(
        Rating(
            submission_id=ticket.id,
            reviewer_id=reviewer.id,
            rater_id=owner.id,
            score=5,
            comment=SECRETS["rating"],
            final_at=utcnow(),
        )
    )
    record_audit(session, "code.view", actor_id=reviewer.id, object_type="ticket", object_id=1)
    session.commit()
    # the marker is there to be found, so a dump that silently failed cannot pass
    assert ticket.ticket_id in _pg_dump(pg_url)
    dump = _pg_dump(pg_url)
    leaked = [name for name, text in SECRETS.items() if text in dump]
    assert not leaked, f"plaintext found in the database dump: {leaked}"
    stored = b"".join(p.read_bytes() for p in Path(settings.storage_dir).rglob("*") if p.is_file())
    assert not [name for name, text in SECRETS.items() if text.encode() in stored]
