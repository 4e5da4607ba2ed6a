"""accounts.external: finding, linking or creating the user behind a GitHub/GitLab sign-in."""

from __future__ import annotations

import pytest

from accounts.external import ExternalIdentity, user_for_identity
from accounts.users import AccountError
from tests.support.factories import make_user


def test_a_known_login_is_found_whatever_its_case(session):
    user = make_user(session, "ada@example.com")
    user.github_login = "Ada"
    found, created = user_for_identity(
        session, ExternalIdentity("github", "ada", None, email_verified=False)
    )
    assert found.id == user.id and created is False


def test_a_new_verified_identity_creates_a_developer_without_password(session):
    user, created = user_for_identity(
        session, ExternalIdentity("gitlab", "tanuki", "t@example.com", True, "Tanuki")
    )
    assert created and user.gitlab_username == "tanuki" and user.password_hash is None
    assert user.roles == ["developer"] and user.name == "Tanuki"


def test_an_unverified_email_is_never_used(session):
    make_user(session, "ada@example.com")
    with pytest.raises(AccountError, match="no verified e-mail"):
        user_for_identity(session, ExternalIdentity("github", "x", "ada@example.com", False))


def test_a_deactivated_account_cannot_sign_in(session):
    user = make_user(session, "ada@example.com")
    user.github_login = "ada"
    user.is_active = False
    with pytest.raises(AccountError, match="deactivated"):
        user_for_identity(session, ExternalIdentity("github", "ada", None, False))


def test_an_unknown_provider_or_empty_login_is_refused(session):
    with pytest.raises(AccountError):
        user_for_identity(session, ExternalIdentity("bitbucket", "x", "x@example.com", True))
    with pytest.raises(AccountError):
        user_for_identity(session, ExternalIdentity("github", "", "x@example.com", True))
