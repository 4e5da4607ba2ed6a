"""web.oauth: Sign in with GitHub / GitLab against a local stand-in OAuth server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app import create_app
from models.audit import AuditEvent
from models.users import User
from tests.support.factories import make_user
from tests.support.oauth import CLIENT_ID, CLIENT_SECRET, GOOD_CODE, OAuthStandIn


@pytest.fixture
def stand_in():
    with OAuthStandIn() as server:
        yield server


@pytest.fixture
def oauth_app(app_config, stand_in):
    return create_app(
        {
            **app_config,
            "github_client_id": CLIENT_ID,
            "github_client_secret": CLIENT_SECRET,
            "github_web_url": stand_in.url,
            "github_api_url": stand_in.url,
            "gitlab_client_id": CLIENT_ID,
            "gitlab_client_secret": CLIENT_SECRET,
            "gitlab_url": stand_in.url,
        }
    )


def _sign_in_with(client, provider: str, code: str = GOOD_CODE):  # type: ignore[no-untyped-def]
    start = client.get(f"/oauth/{provider}/login")
    assert start.status_code == 302
    query = parse_qs(urlsplit(start.location).query)
    assert query["client_id"] == [CLIENT_ID]
    return client.get(
        f"/oauth/{provider}/callback", query_string={"code": code, "state": query["state"][0]}
    )


def test_the_buttons_show_only_when_configured(client, oauth_app):
    assert "Sign in with GitHub" not in client.get("/sign-in").text
    page = oauth_app.test_client().get("/sign-in").text
    assert "Sign in with GitHub" in page and "Sign in with GitLab" in page
    assert client.get("/oauth/github/login").status_code == 404


def test_signing_in_with_github_creates_the_account(oauth_app, session):
    client = oauth_app.test_client()
    response = _sign_in_with(client, "github")
    assert response.status_code == 302 and response.location.endswith("/dashboard")
    assert "Hello, Mona" in client.get("/dashboard").text
    user = session.query(User).one()
    assert user.email == "mona@example.com" and user.github_login == "octocat"
    assert user.password_hash is None
    event = session.query(AuditEvent).filter_by(action="user.sign_up").one()
    assert event.data["method"] == "github"


def test_signing_in_again_finds_the_same_account(oauth_app, session):
    _sign_in_with(oauth_app.test_client(), "github")
    response = _sign_in_with(oauth_app.test_client(), "github")
    assert response.location.endswith("/dashboard")
    assert session.query(User).count() == 1
    assert session.query(AuditEvent).filter_by(action="user.sign_in").count() == 1


def test_a_verified_email_links_to_the_existing_account(oauth_app, session):
    existing = make_user(session, "mona@example.com")
    session.commit()
    _sign_in_with(oauth_app.test_client(), "github")
    session.expire_all()
    assert session.get(User, existing.id).github_login == "octocat"
    assert session.query(User).count() == 1


def test_an_unverified_email_does_not_take_over_an_account(oauth_app, stand_in, session):
    make_user(session, "mona@example.com")
    session.commit()
    stand_in.github_emails = [{"email": "mona@example.com", "primary": True, "verified": False}]
    client = oauth_app.test_client()
    response = _sign_in_with(client, "github")
    assert response.location.endswith("/sign-in")
    assert "no verified e-mail address" in client.get("/sign-in").text
    assert session.query(User).one().github_login is None


def test_signing_in_with_gitlab(oauth_app, session):
    client = oauth_app.test_client()
    assert _sign_in_with(client, "gitlab").location.endswith("/dashboard")
    assert session.query(User).one().gitlab_username == "tanuki"


def test_a_forged_state_is_refused(oauth_app, session):
    client = oauth_app.test_client()
    client.get("/oauth/github/login")
    response = client.get(
        "/oauth/github/callback", query_string={"code": GOOD_CODE, "state": "forged"}
    )
    assert response.status_code == 302 and response.location.endswith("/sign-in")
    assert "did not complete" in client.get("/sign-in").text
    assert session.query(User).count() == 0


def test_a_bad_code_is_refused(oauth_app, session):
    client = oauth_app.test_client()
    response = _sign_in_with(client, "github", code="stolen")
    assert response.location.endswith("/sign-in")
    assert session.query(User).count() == 0


def test_the_session_is_rotated_on_oauth_sign_in(oauth_app, session):
    client = oauth_app.test_client()
    client.get("/sign-in")
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
    _sign_in_with(client, "github")
    with client.session_transaction() as s:
        assert "planted" not in s and "uid" in s


def test_a_provider_that_is_down_gives_a_clear_503(app_config, session):
    from tests.support.services import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    app = create_app(
        {
            **app_config,
            "github_client_id": CLIENT_ID,
            "github_client_secret": CLIENT_SECRET,
            "github_web_url": dead,
            "github_api_url": dead,
        }
    )
    response = _sign_in_with(app.test_client(), "github")
    assert response.status_code == 503 and "GitHub is not answering" in response.text
