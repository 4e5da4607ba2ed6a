"""Fixtures for the intake tests: a private storage directory and the settings intake uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from settings import Settings, activate, current_settings


@pytest.fixture(name="intake_settings")
def intake_settings_fixture(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """The app's test settings, installed as the settings jobs and storage read."""
    previous = current_settings()
    activate(settings)
    try:
        yield settings
    finally:
        activate(previous)


def write_tree(root: Path, files: dict[str, bytes | str]) -> Path:
    """Create ``files`` (relative path -> content) under ``root``; returns ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def submit_zip(session, settings: Settings, owner, files: dict[str, bytes | str], tmp: Path):
    """An upload ticket holding a zip of ``files``, committed, as the web door makes it."""
    from intake.submissions import review_request, submit_archive
    from reviews.state import Actor
    from tests.support.hostile import make_zip

    data = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    path = make_zip(tmp / "upload.zip", data)
    ticket = submit_archive(
        session,
        settings,
        owner,
        path,
        "upload.zip",
        review_request(["security"], "please look", "python"),
        actor=Actor(user_id=owner.id),
    )
    session.commit()
    return ticket


def submit_file(session, settings: Settings, owner, path: Path):
    from intake.submissions import review_request, submit_archive
    from reviews.state import Actor

    ticket = submit_archive(
        session,
        settings,
        owner,
        path,
        path.name,
        review_request(["security"], "", ""),
        actor=Actor(user_id=owner.id),
    )
    session.commit()
    return ticket


def signed_in(client, session, email: str = "dev@example.com", *roles: str):
    """A user, signed in on ``client`` through the real sign-in form."""
    from tests.support.factories import PASSWORD, make_user

    user = make_user(session, email, *roles)
    session.commit()
    client.post("/sign-in", data={"email": email, "password": PASSWORD})
    return user


def bearer(session, user) -> dict[str, str]:
    from accounts.tokens import create_token

    _, secret = create_token(session, user)
    session.commit()
    return {"Authorization": f"Bearer {secret}"}
