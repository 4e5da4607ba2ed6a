"""web.tokens: the /settings/tokens page."""

from __future__ import annotations

import re

from accounts.tokens import create_token
from models.audit import AuditEvent
from models.users import ApiToken
from tests.support.factories import PASSWORD, make_user


def _signed_in(client, session, email="ada@example.com"):  # type: ignore[no-untyped-def]
    user = make_user(session, email)
    session.commit()
    client.post("/sign-in", data={"email": email, "password": PASSWORD})
    return user


def test_a_new_token_is_shown_once_and_works(client, session):
    _signed_in(client, session)
    response = client.post("/settings/tokens", data={"name": "ci", "scopes": "read"})
    assert response.status_code == 201
    secret = re.search(r'id="new-token">(vt_[^<]+)<', response.text).group(1)
    api = client.application.test_client()
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    listing = client.get("/settings/tokens").text
    assert "ci" in listing and secret not in listing and secret[:8] in listing
    stored = session.query(ApiToken).one()
    assert stored.scopes == ["read"] and secret not in (stored.token_hash, stored.prefix)
    assert session.query(AuditEvent).filter_by(action="token.create").count() == 1


def test_a_read_only_token_cannot_write(client, session):
    _signed_in(client, session)
    page = client.post("/settings/tokens", data={"name": "ci", "scopes": "read"}).text
    secret = re.search(r'id="new-token">(vt_[^<]+)<', page).group(1)
    api = client.application.test_client()
    refused = api.post(
        "/api/v1/tokens", json={"name": "x"}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert refused.status_code == 403


def test_revoking_a_token_stops_it_working(client, session):
    user = _signed_in(client, session)
    token, secret = create_token(session, user, name="old")
    session.commit()
    assert client.post(f"/settings/tokens/{token.id}/revoke").status_code == 302
    api = client.application.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "You have no API tokens." in client.get("/settings/tokens").text
    assert session.query(AuditEvent).filter_by(action="token.revoke").count() == 1


def test_someone_elses_token_cannot_be_revoked(client, session):
    other = make_user(session, "bob@example.com")
    token, _ = create_token(session, other, name="bobs")
    session.commit()
    _signed_in(client, session)
    assert client.post(f"/settings/tokens/{token.id}/revoke").status_code == 404
    session.expire_all()
    assert session.get(ApiToken, token.id).revoked_at is None


def test_a_token_without_a_name_is_refused_with_a_message(client, session):
    _signed_in(client, session)
    response = client.post("/settings/tokens", data={"name": "", "scopes": "read"})
    assert response.status_code == 400 and "This field is required." in response.text
    assert session.query(ApiToken).count() == 0


def test_an_unknown_scope_is_refused(client, session):
    _signed_in(client, session)
    response = client.post("/settings/tokens", data={"name": "x", "scopes": "admin"})
    assert response.status_code == 400 and "Not a valid choice" in response.text
    assert session.query(ApiToken).count() == 0


def test_the_tokens_page_needs_sign_in(client):
    assert client.get("/settings/tokens").status_code == 302
