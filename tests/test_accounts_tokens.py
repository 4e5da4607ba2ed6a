"""accounts.tokens: shown once, stored hashed, revocable."""

from sqlalchemy import text

from accounts.tokens import create_token, resolve_token, revoke_token
from tests.support.factories import make_user


def test_a_token_is_stored_only_as_a_hash(session):
    user = make_user(session)
    token, secret = create_token(session, user)
    session.commit()
    raw = session.execute(text("SELECT token_hash, prefix FROM api_tokens")).one()
    assert secret not in raw.token_hash and raw.prefix == secret[:8]
    assert resolve_token(session, secret) is token


def test_a_revoked_or_wrong_token_resolves_to_nobody(session):
    user = make_user(session)
    token, secret = create_token(session, user)
    assert resolve_token(session, secret + "x") is None
    assert resolve_token(session, "") is None
    revoke_token(token)
    assert resolve_token(session, secret) is None


def test_a_token_of_a_deactivated_user_is_refused(session):
    user = make_user(session)
    _, secret = create_token(session, user)
    user.is_active = False
    assert resolve_token(session, secret) is None
