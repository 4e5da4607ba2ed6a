"""App authentication and installation tokens, against the GitHub stand-in over real HTTP."""

from __future__ import annotations

import time

import jwt
import pytest

from forges.errors import ForgeUnavailable, RateLimited
from forges.github_api import GitHub
from forges.github_app import (
    AppCredentials,
    InstallationGone,
    app_credentials,
    app_jwt,
    installation_token,
)
from models.forges import GitHubAppCredentials
from settings import Settings
from tests.support.forge_standins import github_standin  # noqa: F401


@pytest.fixture
def creds(github_standin):  # noqa: F811
    github_standin.installations.add(77)
    github_standin.add_repo("octo/app", 1, collaborators={"dev": "write"})
    return AppCredentials(str(github_standin.app_id), github_standin.private_key_pem)


@pytest.fixture
def gh_settings(github_standin):  # noqa: F811
    return Settings(github_api_url=github_standin.url)


def test_the_app_jwt_is_rs256_backdated_60_seconds_and_lives_at_most_ten_minutes(creds):
    now = time.time()
    token = app_jwt(creds, now=now)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "RS256"
    assert claims["iat"] == int(now) - 60
    assert 0 < claims["exp"] - int(now) <= 600
    assert claims["iss"] == creds.app_id


def test_installation_tokens_are_cached_until_near_expiry(creds, gh_settings, github_standin):  # noqa: F811
    first = installation_token(gh_settings, creds, 77)
    assert installation_token(gh_settings, creds, 77) == first
    assert len(github_standin.calls("POST", "/access_tokens")) == 1
    github_standin.token_ttl = 120  # expires within the refresh margin: never served from cache
    fresh = installation_token(gh_settings, creds, 77, refresh=True)
    assert installation_token(gh_settings, creds, 77) != fresh
    assert len(github_standin.calls("POST", "/access_tokens")) == 3


def test_a_401_refreshes_the_token_and_the_call_succeeds(creds, gh_settings, github_standin):  # noqa: F811
    gh = GitHub(gh_settings, creds, 77)
    assert gh.get("/repos/{owner}/{repo}", {"owner": "octo", "repo": "app"})["id"] == 1
    github_standin.expire_tokens()
    assert gh.get("/repos/{owner}/{repo}", {"owner": "octo", "repo": "app"})["id"] == 1
    assert len(github_standin.calls("POST", "/access_tokens")) == 2


def test_a_removed_installation_raises_installation_gone(creds, gh_settings, github_standin):  # noqa: F811
    github_standin.remove_installation(77)
    with pytest.raises(InstallationGone):
        GitHub(gh_settings, creds, 77).get("/repos/octo/app")


def test_a_502_then_success_is_retried_transparently(creds, gh_settings, github_standin):  # noqa: F811
    github_standin.fail(502, times=2, path_contains="/repos/")
    assert GitHub(gh_settings, creds, 77).get("/repos/octo/app")["full_name"] == "octo/app"
    assert len(github_standin.calls("GET", "/repos/octo/app")) == 3


def test_a_short_retry_after_is_waited_and_a_long_one_raises_rate_limited(
    creds,
    gh_settings,
    github_standin,  # noqa: F811
):
    github_standin.fail(429, times=1, retry_after=1, path_contains="/repos/")
    started = time.monotonic()
    assert GitHub(gh_settings, creds, 77).get("/repos/octo/app")["id"] == 1
    assert time.monotonic() - started >= 1.0
    github_standin.fail(403, times=1, retry_after=3600, path_contains="/repos/")
    with pytest.raises(RateLimited) as caught:
        GitHub(gh_settings, creds, 77).get("/repos/octo/app")
    assert caught.value.seconds >= 3000


def test_unending_502s_end_in_forge_unavailable(creds, gh_settings, github_standin):  # noqa: F811
    github_standin.fail(502, times=10, path_contains="/repos/")
    with pytest.raises(ForgeUnavailable):
        GitHub(gh_settings, creds, 77).get("/repos/octo/app")


def test_credentials_come_from_the_environment_first_then_the_manifest_flow(session, creds):
    stored = GitHubAppCredentials(
        app_id="99", slug="vetted", private_key=creds.private_key, webhook_secret="whsec"
    )
    session.add(stored)
    session.commit()
    assert app_credentials(session, Settings()).app_id == "99"
    configured = Settings(github_app_id="5", github_private_key="-----BEGIN\\nKEY")
    assert app_credentials(session, configured).app_id == "5"
    assert app_credentials(session, configured).private_key == "-----BEGIN\nKEY"


def test_the_private_key_may_be_given_as_a_path_to_the_pem_file(session, creds, tmp_path):
    pem = tmp_path / "app.pem"
    pem.write_text(creds.private_key)
    configured = Settings(github_app_id="5", github_private_key=str(pem))
    assert app_credentials(session, configured).private_key == creds.private_key
