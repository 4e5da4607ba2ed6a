"""``access_token_for``: the token intake fetches a PR ticket's code with."""

from __future__ import annotations

import pytest

from forges.credentials import access_token_for
from models.forges import Installation
from settings import Settings
from settings import activate as configure
from tests.support.factories import make_ticket
from tests.support.forge_standins import github_standin  # noqa: F401


@pytest.fixture
def configured(github_standin):  # noqa: F811
    github_standin.installations.add(31)
    configure(
        Settings(
            github_api_url=github_standin.url,
            github_app_id=str(github_standin.app_id),
            github_private_key=github_standin.private_key_pem,
            gitlab_token="glpat-global",
        )
    )
    yield github_standin
    configure(Settings())


def _ticket(session, forge: str, **installation):
    row = Installation(forge=forge, external_id=31, **installation)
    session.add(row)
    session.flush()
    source = "github_pr" if forge == "github" else "gitlab_mr"
    ticket = make_ticket(session, source=source, forge=forge, installation_id=row.id, pr_number=1)
    session.commit()
    return ticket


def test_a_github_pr_ticket_gets_a_working_installation_token(session, configured):
    token = access_token_for(_ticket(session, "github"))
    assert token and token in configured.tokens


def test_a_removed_installation_gives_no_token_instead_of_an_error(session, configured):
    ticket = _ticket(session, "github")
    configured.remove_installation(31)
    assert access_token_for(ticket) is None


def test_gitlab_uses_the_integrations_token_then_the_global_one(session, configured):
    assert (
        access_token_for(_ticket(session, "gitlab", access_token="glpat-project"))
        == "glpat-project"
    )


def test_uploads_have_no_token(session, configured):
    assert access_token_for(make_ticket(session)) is None
