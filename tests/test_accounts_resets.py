"""accounts.resets: signed, expiring, single-use password reset links."""

from __future__ import annotations

import pytest

from accounts.passwords import verify_password
from accounts.resets import ResetError, make_reset_token, read_reset_token, reset_password
from models.audit import AuditEvent
from tests.support.factories import make_user

KEY = "reset-test-key"


def test_a_fresh_link_names_its_user(session):
    user = make_user(session, "ada@example.com")
    session.commit()
    assert read_reset_token(session, KEY, make_reset_token(KEY, user)).id == user.id


def test_a_link_signed_with_another_key_is_not_valid(session):
    user = make_user(session, "ada@example.com")
    with pytest.raises(ResetError, match="not valid"):
        read_reset_token(session, KEY, make_reset_token("other key", user))


def test_a_tampered_link_is_not_valid(session):
    user = make_user(session, "ada@example.com")
    token = make_reset_token(KEY, user)
    with pytest.raises(ResetError, match="not valid"):
        read_reset_token(session, KEY, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))


def test_an_old_link_has_expired(session):
    user = make_user(session, "ada@example.com")
    token = make_reset_token(KEY, user)
    with pytest.raises(ResetError, match="expired"):
        read_reset_token(session, KEY, token, max_age=-1)


def test_a_used_link_cannot_be_used_again_and_old_sessions_end(session):
    user = make_user(session, "ada@example.com")
    token = make_reset_token(KEY, user)
    epoch = user.session_epoch
    reset_password(session, user, "a brand new password", ip="203.0.113.5")
    session.commit()
    assert verify_password(user.password_hash, "a brand new password")
    assert user.session_epoch == epoch + 1
    with pytest.raises(ResetError, match="already been used"):
        read_reset_token(session, KEY, token)
    event = session.query(AuditEvent).filter_by(action="user.password_reset").one()
    assert event.ip == "203.0.113.5" and event.actor_id == user.id


def test_a_too_short_new_password_is_refused_and_changes_nothing(session):
    user = make_user(session, "ada@example.com")
    before = user.password_hash
    with pytest.raises(ResetError, match="at least"):
        reset_password(session, user, "short")
    assert user.password_hash == before
