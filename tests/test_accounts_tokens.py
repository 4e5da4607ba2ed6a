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


def test_revoking_an_own_token_is_audited_and_someone_elses_looks_missing(session):
    from accounts.tokens import revoke_owned_token
    from models.audit import AuditEvent

    owner, other = make_user(session, "a@example.com"), make_user(session, "b@example.com")
    token, secret = create_token(session, owner)
    assert revoke_owned_token(session, other.id, token.id) is None
    assert resolve_token(session, secret) is not None
    assert revoke_owned_token(session, owner.id, token.id, ip="203.0.113.1") is token
    assert resolve_token(session, secret) is None
    event = session.query(AuditEvent).filter_by(action="token.revoke").one()
    assert (event.actor_id, event.ip) == (owner.id, "203.0.113.1")


def test_issuing_a_token_audits_who_created_it_and_from_where(session):
    from accounts.tokens import issue_token
    from models.audit import AuditEvent

    user = make_user(session)
    token, secret = issue_token(session, user, scopes=["read"], ip="203.0.113.1")
    operator_token, _ = issue_token(session, user, by_operator=True)
    mine, by_cli = (
        session.query(AuditEvent).filter_by(action="token.create").order_by(AuditEvent.id)
    )
    assert (mine.actor_id, mine.ip, mine.object_id) == (user.id, "203.0.113.1", str(token.id))
    assert mine.data["scopes"] == ["read"] and secret not in str(mine.data)
    assert (by_cli.actor_id, by_cli.actor_label) == (None, "cli")
    assert by_cli.object_id == str(operator_token.id)
