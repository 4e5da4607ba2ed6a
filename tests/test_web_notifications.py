"""The alerts pages and JSON endpoints, preferences, and the admins' e-mail log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.notifications import EmailDelivery, Notification, NotificationPreference
from notify import jobs
from tests.support.factories import make_ticket, make_user


def sign_in(client, user) -> None:
    with client.session_transaction() as web_session:
        web_session["uid"], web_session["epoch"] = user.id, user.session_epoch


@pytest.fixture
def dev(session):
    user = make_user(session, "dev@example.com", name="Dana")
    session.commit()
    return user


def alert_for(session, user, title="Hello", link="/tickets/VT-0000-0000") -> Notification:
    alert = Notification(user_id=user.id, event="ticket.submitted", title=title, link=link)
    session.add(alert)
    session.commit()
    return alert


def test_every_page_shows_the_alerts_menu_with_the_unread_count(client, session, dev):
    alert_for(session, dev)
    alert_for(session, dev, "Second")
    sign_in(client, dev)

    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="notification-menu"' in page
    assert 'data-count="2"' in page
    assert "/static/js/notifications.js" in page
    assert "<script>" not in page and "onclick" not in page  # no inline scripts


def test_the_count_and_feed_endpoints_answer_json_for_the_signed_in_user(client, session, dev):
    other = make_user(session, "other@example.com")
    session.commit()
    alert_for(session, dev, "Mine")
    alert_for(session, other, "Not mine")
    sign_in(client, dev)

    assert client.get("/notifications/unread-count").get_json() == {"unread": 1}
    feed = client.get("/notifications/feed").get_json()
    assert feed["unread"] == 1
    assert [item["title"] for item in feed["items"]] == ["Mine"]
    assert feed["items"][0]["link"] == "/tickets/VT-0000-0000"


def test_signed_out_json_requests_get_401_and_pages_redirect_to_sign_in(client):
    response = client.get("/notifications/unread-count", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert "/sign-in" in client.get("/notifications").location


def test_marking_one_alert_read_lowers_the_count(client, session, dev):
    first = alert_for(session, dev)
    alert_for(session, dev)
    sign_in(client, dev)

    response = client.post(
        f"/notifications/{first.id}/read", headers={"Accept": "application/json"}
    )
    assert response.get_json() == {"unread": 1}
    session.refresh(first)
    assert first.read_at is not None


def test_marking_all_read_from_the_page_redirects_back_with_a_message(client, session, dev):
    alert_for(session, dev)
    alert_for(session, dev)
    sign_in(client, dev)

    response = client.post("/notifications/read-all", follow_redirects=True)
    assert b"All alerts marked as read." in response.data
    assert client.get("/notifications/unread-count").get_json() == {"unread": 0}


def test_someone_elses_alert_cannot_be_marked_and_looks_missing(client, session, dev):
    other = make_user(session, "other@example.com")
    session.commit()
    theirs = alert_for(session, other)
    sign_in(client, dev)

    response = client.post(f"/notifications/{theirs.id}/read")
    assert response.status_code == 404
    session.refresh(theirs)
    assert theirs.read_at is None


def test_the_alerts_page_links_each_alert_to_its_ticket(client, session, dev):
    ticket = make_ticket(session, dev)
    session.commit()
    jobs.ticket_event(ticket_id=ticket.id, event="ticket.submitted")
    sign_in(client, dev)

    page = client.get("/notifications").get_data(as_text=True)
    assert f'href="/tickets/{ticket.ticket_id}"' in page
    assert f"Review request {ticket.ticket_id} received" in page


def test_preferences_turn_email_off_per_event_and_back_on(client, session, dev):
    sign_in(client, dev)
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert 'name="email:ticket.completed" checked' in page
    assert "admin.digest" not in page  # not an admin

    form = {"email:ticket.submitted": "on"}  # everything else unticked
    assert client.post("/settings/notifications", data=form).status_code == 302
    prefs = {
        p.event: p.email
        for p in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == dev.id)
        )
    }
    assert prefs["ticket.submitted"] is True and prefs["ticket.completed"] is False

    ticket = make_ticket(session, dev)
    session.commit()
    jobs.ticket_event(ticket_id=ticket.id, event="ticket.submitted")
    jobs.notify_event("ticket.fetch_failed", ticket_id=ticket.id)
    session.expire_all()
    assert [d.event for d in session.scalars(select(EmailDelivery))] == ["ticket.submitted"]
    alerts = session.scalars(select(Notification.event).where(Notification.user_id == dev.id))
    assert sorted(alerts) == ["ticket.fetch_failed", "ticket.submitted"]  # on-site always on


def test_an_unknown_preference_is_refused_and_changes_nothing(client, session, dev):
    sign_in(client, dev)
    response = client.post("/settings/notifications", data={"email:ticket.exploded": "on"})
    assert response.status_code == 400
    assert b"Unknown notification type." in response.data
    assert session.scalars(select(NotificationPreference)).all() == []


def test_the_email_log_is_for_admins_only_and_filters_by_status(client, session, dev):
    admin = make_user(session, "admin@example.com", "admin")
    session.add(
        EmailDelivery(
            dedup_key="k1",
            user_id=dev.id,
            to_address=dev.email,
            event="ticket.submitted",
            subject="[VT-1] Hello",
            backend="smtp",
            status="failed",
            last_error="SMTP 550",
        )
    )
    session.commit()
    sign_in(client, admin)
    page = client.get("/admin/emails?status=failed").get_data(as_text=True)
    assert "SMTP 550" in page and "[VT-1] Hello" in page
    assert "SMTP 550" not in client.get("/admin/emails?status=sent").get_data(as_text=True)
    bad = client.get("/admin/emails?status=lost")
    assert bad.status_code == 400 and b"Status must be one of" in bad.data


def test_the_email_log_is_refused_to_non_admins(client, dev):
    sign_in(client, dev)
    assert client.get("/admin/emails").status_code == 403
