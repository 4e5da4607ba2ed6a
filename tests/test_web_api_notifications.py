"""``/api/v1/notifications`` with personal API tokens."""

from __future__ import annotations

import pytest

from accounts.tokens import create_token
from models.notifications import Notification
from tests.support.factories import make_user


@pytest.fixture
def owner(session):
    user = make_user(session, "dev@example.com")
    other = make_user(session, "other@example.com")
    for n in range(3):
        session.add(Notification(user_id=user.id, event="ticket.submitted", title=f"Alert {n}"))
    session.add(Notification(user_id=other.id, event="ticket.submitted", title="Not yours"))
    _, secret = create_token(session, user)
    _, read_only = create_token(session, user, scopes=["read"])
    session.commit()
    return user, {"Authorization": f"Bearer {secret}"}, {"Authorization": f"Bearer {read_only}"}


def test_listing_returns_own_alerts_newest_first_with_the_unread_count(client, owner):
    _, auth, _ = owner
    body = client.get("/api/v1/notifications?limit=2", headers=auth).get_json()
    assert body["unread"] == 3
    assert [item["title"] for item in body["items"]] == ["Alert 2", "Alert 1"]


def test_marking_read_needs_the_write_scope(client, session, owner):
    user, _, read_only = owner
    first = session.query(Notification).filter_by(user_id=user.id).first()
    response = client.post(f"/api/v1/notifications/{first.id}/read", headers=read_only)
    assert response.status_code == 403
    session.refresh(first)
    assert first.read_at is None


def test_marking_read_lowers_the_count(client, session, owner):
    user, auth, _ = owner
    first = session.query(Notification).filter_by(user_id=user.id).first()
    response = client.post(f"/api/v1/notifications/{first.id}/read", headers=auth)
    assert response.get_json() == {"unread": 2}
    unread = client.get("/api/v1/notifications?unread_only=true", headers=auth).get_json()
    assert len(unread["items"]) == 2
    assert client.post("/api/v1/notifications/read-all", headers=auth).get_json() == {"unread": 0}


def test_someone_elses_alert_answers_404_in_the_error_shape(client, session, owner):
    _, auth, _ = owner
    theirs = session.query(Notification).filter_by(title="Not yours").one()
    response = client.post(f"/api/v1/notifications/{theirs.id}/read", headers=auth)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_bad_limit_is_refused_with_a_clear_message(client, owner):
    _, auth, _ = owner
    response = client.get("/api/v1/notifications?limit=5000", headers=auth)
    assert response.status_code == 422
    assert "limit" in str(response.get_json()["error"])


def test_without_credentials_the_api_answers_401(client):
    assert client.get("/api/v1/notifications").status_code == 401
