"""accounts.roles: role changes are recorded in the audit log."""

from __future__ import annotations

import pytest

from accounts.roles import set_roles
from accounts.users import AccountError
from models.audit import AuditEvent
from tests.support.factories import make_user


def test_a_role_change_is_audited_with_before_and_after(session):
    user = make_user(session, "ada@example.com")
    assert set_roles(session, user, ["developer", "reviewer"], actor_label="cli", ip="10.0.0.1")
    session.commit()
    event = session.query(AuditEvent).filter_by(action="user.roles_changed").one()
    assert event.data == {"before": ["developer"], "after": ["developer", "reviewer"]}
    assert event.ip == "10.0.0.1" and event.object_id == str(user.id)


def test_no_change_records_nothing(session):
    user = make_user(session, "ada@example.com")
    assert set_roles(session, user, ["developer"]) is False
    assert session.query(AuditEvent).count() == 0


@pytest.mark.parametrize("roles, message", [(["root"], "Unknown role"), ([], "at least one")])
def test_bad_roles_are_refused(session, roles, message):
    user = make_user(session, "ada@example.com")
    with pytest.raises(AccountError, match=message):
        set_roles(session, user, roles)
    assert user.roles == ["developer"]
