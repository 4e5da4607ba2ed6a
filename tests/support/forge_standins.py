"""Pytest fixtures: the GitHub and GitLab stand-ins, failing the test on any bad request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from forges.github_app import TOKENS
from tests.support.forge_payloads import fixtures_dir
from tests.support.github_standin import GitHubStandIn
from tests.support.gitlab_standin import GitLabStandIn
from tests.support.openapi_check import github_description

GITLAB_API_TOKEN = "glpat-standin-token"


@pytest.fixture
def github_standin() -> Iterator[GitHubStandIn]:
    description = github_description(str(fixtures_dir() / "github-openapi" / "api.github.com.json"))
    server = GitHubStandIn(description).start()
    TOKENS.clear()
    yield server
    server.stop()
    TOKENS.clear()
    assert not server.violations, "requests GitHub would not accept:\n" + "\n".join(
        server.violations
    )


@pytest.fixture
def gitlab_standin() -> Iterator[GitLabStandIn]:
    server = GitLabStandIn(GITLAB_API_TOKEN).start()
    yield server
    server.stop()
    assert not server.violations, "\n".join(server.violations)
