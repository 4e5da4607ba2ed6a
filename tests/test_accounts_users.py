"""accounts.users: creating users and signing them in."""

import pytest

from accounts.users import AccountError, authenticate, create_user, find_by_email, grant_role
from tests.support.factories import PASSWORD, make_user


def test_a_user_is_created_with_a_normalised_email_and_default_role(session):
    user = create_user(session, "  Ada@Example.COM ", password=PASSWORD)
    assert user.email == "ada@example.com"
    assert user.roles == ["developer"]
    assert find_by_email(session, "ADA@example.com") is user


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b", "a b@example.com"])
def test_invalid_emails_are_refused(session, email):
    with pytest.raises(AccountError, match="valid e-mail"):
        create_user(session, email, password=PASSWORD)


def test_a_second_account_for_one_email_is_refused(session):
    make_user(session, "x@example.com")
    with pytest.raises(AccountError, match="already exists"):
        create_user(session, "X@example.com", password=PASSWORD)


def test_unknown_roles_are_refused(session):
    with pytest.raises(AccountError, match="Unknown role"):
        create_user(session, "x@example.com", roles=["wizard"])


def test_authenticate_accepts_the_right_password_only(session):
    user = make_user(session, "x@example.com")
    assert authenticate(session, "x@example.com", PASSWORD) is user
    assert user.last_seen_at is not None
    assert authenticate(session, "x@example.com", "wrong password!") is None
    assert authenticate(session, "nobody@example.com", PASSWORD) is None


def test_an_inactive_user_cannot_sign_in(session):
    user = make_user(session, "x@example.com")
    user.is_active = False
    assert authenticate(session, "x@example.com", PASSWORD) is None


def test_granting_a_role_keeps_the_others(session):
    user = make_user(session, "x@example.com")
    grant_role(user, "reviewer")
    assert user.roles == ["developer", "reviewer"]
