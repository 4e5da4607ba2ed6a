"""web.api.tokens: /api/v1/tokens."""

from __future__ import annotations

from accounts.tokens import create_token
from models.users import ApiToken
from tests.support.factories import make_user


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_creating_listing_and_revoking_tokens(client, session):
    user = make_user(session, "ada@example.com")
    _, secret = create_token(session, user, name="bootstrap")
    session.commit()
    created = client.post(
        "/api/v1/tokens", json={"name": "deploy", "scopes": ["read"]}, headers=_auth(secret)
    )
    assert created.status_code == 201
    body = created.json
    assert body["token"].startswith("vt_") and body["scopes"] == ["read"]
    listing = client.get("/api/v1/tokens", headers=_auth(secret)).json
    assert {t["name"] for t in listing} == {"bootstrap", "deploy"}
    assert all("token" not in t for t in listing)
    assert client.delete(f"/api/v1/tokens/{body['id']}", headers=_auth(secret)).status_code == 204
    assert client.get("/api/v1/me", headers=_auth(body["token"])).status_code == 401


def test_a_token_cannot_mint_a_token_with_more_access(client, session):
    user = make_user(session, "ada@example.com")
    _, secret = create_token(session, user, scopes=["write"])
    session.commit()
    refused = client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["read", "write"]}, headers=_auth(secret)
    )
    assert refused.status_code == 403
    assert "more access" in refused.json["error"]["message"]


def test_bad_token_requests_get_field_messages(client, session):
    user = make_user(session, "ada@example.com")
    _, secret = create_token(session, user)
    session.commit()
    for payload in ({}, {"name": ""}, {"name": "x", "scopes": ["root"]}, {"name": 5}):
        response = client.post("/api/v1/tokens", json=payload, headers=_auth(secret))
        assert response.status_code == 422, payload
        assert response.json["error"]["code"] == "invalid"
    assert session.query(ApiToken).count() == 1


def test_another_users_token_answers_404(client, session):
    ada = make_user(session, "ada@example.com")
    bob = make_user(session, "bob@example.com")
    _, secret = create_token(session, ada)
    bobs, _ = create_token(session, bob)
    session.commit()
    assert client.delete(f"/api/v1/tokens/{bobs.id}", headers=_auth(secret)).status_code == 404


def test_tokens_need_authentication(client):
    assert client.get("/api/v1/tokens").status_code == 401
    bogus = {"Authorization": "Bearer vt_not_a_token"}
    assert client.post("/api/v1/tokens", json={"name": "x"}, headers=bogus).status_code == 401
    # a browser without a session (and so without a CSRF token) is refused before anything runs
    assert client.post("/api/v1/tokens", json={"name": "x"}).status_code in (400, 401)
