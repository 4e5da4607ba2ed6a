"""Signing in through the real sign-in form."""

from __future__ import annotations

from tests.support.factories import PASSWORD


def sign_in(client, email: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/sign-in", data={"email": email, "password": password})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]


def bearer(session, email: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Headers carrying a fresh read/write API token for ``email``."""
    from accounts.tokens import create_token
    from accounts.users import find_by_email

    _, secret = create_token(session, find_by_email(session, email), name="test")
    session.commit()
    return {"Authorization": f"Bearer {secret}"}
