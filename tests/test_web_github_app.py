"""Registering the GitHub App through the manifest flow, against the GitHub stand-in."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from sqlalchemy import text

from forges.github_app import app_credentials
from models.forges import GitHubAppCredentials
from settings import Settings
from tests.support.factories import PASSWORD, make_user
from tests.support.forge_standins import github_standin  # noqa: F401


@pytest.fixture
def app_config(app_config, github_standin):  # noqa: F811
    app_config.update(
        github_api_url=github_standin.url,
        github_web_url="https://github.example",
        base_url="https://vetted.example",
    )
    return app_config


def _sign_in(client, session, *roles):
    make_user(session, "admin@example.com", *roles)
    session.commit()
    client.post("/sign-in", data={"email": "admin@example.com", "password": PASSWORD})


def _start(client) -> tuple[str, dict]:
    page = client.get("/github/app/register").get_data(as_text=True)
    action = unescape(re.search(r'action="(https:[^"]+)"', page).group(1))
    manifest = json.loads(unescape(re.search(r'name="manifest" value="([^"]+)"', page).group(1)))
    assert "Register GitHub App" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline scripts (CSP)
    return action, manifest


def test_the_register_page_posts_the_manifest_to_github(client, session):
    _sign_in(client, session, "admin")
    action, manifest = _start(client)
    assert action.startswith("https://github.example/settings/apps/new?state=")
    assert manifest["hook_attributes"]["url"] == "https://vetted.example/webhooks/github"


def test_only_admins_may_register(client, session):
    _sign_in(client, session)
    assert client.get("/github/app/register").status_code == 403


def test_the_code_is_exchanged_and_the_secrets_stored_encrypted(client, session, github_standin):  # noqa: F811
    _sign_in(client, session, "admin")
    action, _ = _start(client)
    state = action.split("state=")[1]
    github_standin.manifest_codes["abc123"] = {
        "id": 314,
        "slug": "vetted-test",
        "client_id": "Iv1.x",
        "client_secret": "cs",
        "webhook_secret": "whs-very-secret",
        "pem": github_standin.private_key_pem,
        "html_url": "https://github.example/apps/vetted-test",
    }
    page = client.get(f"/github/app/registered?code=abc123&state={state}")
    assert page.status_code == 200 and "vetted-test" in page.get_data(as_text=True)
    stored = session.query(GitHubAppCredentials).one()
    assert (stored.app_id, stored.webhook_secret) == ("314", "whs-very-secret")
    raw = session.execute(
        text("SELECT private_key, webhook_secret FROM github_app_credentials")
    ).one()
    assert "PRIVATE KEY" not in raw[0] and "whs-very-secret" not in raw[1]
    assert app_credentials(session, Settings()).app_id == "314"


def test_a_wrong_state_or_an_unknown_code_is_refused_and_stores_nothing(client, session):
    _sign_in(client, session, "admin")
    action, _ = _start(client)
    assert client.get("/github/app/registered?code=abc&state=forged").status_code == 400
    action, _ = _start(client)
    state = action.split("state=")[1]
    response = client.get(f"/github/app/registered?code=nope&state={state}")
    assert response.status_code == 400 and "did not recognise" in response.get_data(as_text=True)
    assert session.query(GitHubAppCredentials).count() == 0
