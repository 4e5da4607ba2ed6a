"""web.audit: sensitive reads are recorded by endpoint name; admins search the log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.audit import AuditEvent, record_audit
from models.base import utcnow
from tests.support.factories import PASSWORD, make_user
from tests.support.security import client_from
from web.audit import AUDITED, unknown_audited_endpoints


def _admin(client, session):  # type: ignore[no-untyped-def]
    admin = make_user(session, "admin@example.com", "admin")
    session.commit()
    client.post("/sign-in", data={"email": "admin@example.com", "password": PASSWORD})
    return admin


def test_sign_ins_and_failures_are_recorded_with_who_and_where(app, session):
    make_user(session, "ada@example.com")
    session.commit()
    client = client_from(app, "203.0.113.5")
    client.post("/sign-in", data={"email": "ada@example.com", "password": "wrong one!!"})
    client.post("/sign-in", data={"email": "ada@example.com", "password": PASSWORD})
    failed = session.query(AuditEvent).filter_by(action="user.sign_in_failed").one()
    assert failed.ip == "203.0.113.5" and failed.actor_label == "ada@example.com"
    ok = session.query(AuditEvent).filter_by(action="user.sign_in").one()
    assert ok.ip == "203.0.113.5" and ok.actor_id is not None and ok.at is not None


def test_reading_code_through_an_audited_endpoint_is_recorded(app_config, session, monkeypatch):
    import app as app_module

    monkeypatch.setattr(
        app_module, "BLUEPRINTS", [*app_module.BLUEPRINTS, "tests.support.security:code_bp"]
    )
    monkeypatch.setitem(AUDITED, "codeview.show", "code.view")
    application = app_module.create_app(app_config)
    user = make_user(session, "ada@example.com")
    session.commit()
    client = client_from(application, "203.0.113.5")
    client.post("/sign-in", data={"email": "ada@example.com", "password": PASSWORD})
    assert client.get("/stand-in/tickets/VT-AAAA-BBBB/code/src/app.py").status_code == 200
    assert client.get("/stand-in/tickets/VT-AAAA-BBBB/code/missing.py").status_code == 404
    event = session.query(AuditEvent).filter_by(action="code.view").one()
    assert (event.object_type, event.object_id) == ("ticket", "VT-AAAA-BBBB")
    assert event.actor_id == user.id and event.ip == "203.0.113.5"
    from web.audit import path_digest

    with application.app_context():
        assert event.data["path_digest"] == path_digest("src/app.py")
    assert "src/app.py" not in str(event.data)


def test_every_audited_endpoint_name_is_a_real_route(app):
    assert unknown_audited_endpoints(app) == []


def test_opening_the_real_code_viewer_is_audited_with_who_and_where(
    client, session, settings, tmp_path
):
    from tests.support.workspace import make_workspace, sign_in

    space = make_workspace(session, settings, tmp_path)
    sign_in(client, space.reviewer)
    page = client.get(
        f"/tickets/{space.ticket.ticket_id}/code", environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert page.status_code == 200
    event = session.query(AuditEvent).filter_by(action="code.view").one()
    assert (event.actor_id, event.object_id, event.ip) == (
        space.reviewer.id,
        space.ticket.ticket_id,
        "203.0.113.9",
    )


@pytest.fixture
def events(session):
    ada = make_user(session, "ada@example.com")
    session.flush()
    old = record_audit(session, "user.sign_in", actor_id=ada.id, ip="203.0.113.5")
    old.at = utcnow() - timedelta(days=10)
    record_audit(session, "user.sign_in_failed", actor_label="ada@example.com", ip="198.51.100.7")
    record_audit(
        session, "ip.block", actor_label="cli", object_type="ip_block", object_id=3, network="x"
    )
    record_audit(session, "code.view", actor_id=ada.id, object_type="ticket", object_id="VT-1")
    session.commit()
    return ada


def _shown(page: str) -> set[str]:
    import re

    return set(re.findall(r"<td><code>([a-z_.]+)</code></td>", page))


def test_admins_filter_by_action_actor_object_ip_and_dates(client, session, events):
    _admin(client, session)
    by_action = client.get("/admin/audit?action=user.sign_in_f").text
    assert _shown(by_action) == {"user.sign_in_failed"}
    assert _shown(client.get("/admin/audit?actor=ADA@").text) == {"user.sign_in", "code.view"}
    assert _shown(client.get("/admin/audit?object=ticket:VT-1").text) == {"code.view"}
    assert _shown(client.get("/admin/audit?ip=198.51.100").text) == {"user.sign_in_failed"}
    today = utcnow().date().isoformat()
    recent = client.get(f"/admin/audit?start={today}&action=user.sign_in").text
    assert "203.0.113.5" not in recent  # the ten-day-old sign-in is outside the range
    old_day = (utcnow() - timedelta(days=10)).date().isoformat()
    old = client.get(f"/admin/audit?start={old_day}&end={old_day}").text
    assert "203.0.113.5" in old and "198.51.100.7" not in old


def test_the_audit_log_is_paginated(client, session):
    _admin(client, session)
    for n in range(55):
        record_audit(session, "test.event", object_type="n", object_id=n)
    session.commit()
    first = client.get("/admin/audit?action=test.").text
    assert first.count("test.event") == 50 and "Older" in first
    second = client.get("/admin/audit?action=test.&page=2").text
    assert second.count("test.event") == 5 and "Newer" in second


@pytest.mark.parametrize(
    "query, message",
    [
        ("start=yesterday", "From must be a date"),
        ("start=2026-02-02&end=2026-01-01", "not be after"),
    ],
)
def test_bad_search_input_is_explained(client, session, query, message):
    _admin(client, session)
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 400 and message in response.text


def test_hostile_search_input_is_harmless(client, session, events):
    _admin(client, session)
    for value in ("%", "_", "' OR 1=1 --", "<script>alert(1)</script>", "x" * 5000, "\x00"):
        response = client.get("/admin/audit", query_string={"action": value, "actor": value})
        assert response.status_code in (200, 400)
        assert "<script>alert(1)</script>" not in response.text
    assert "No matching events." in client.get("/admin/audit?action=%25").text


def test_only_admins_see_the_audit_log(client, session):
    make_user(session, "dev@example.com")
    session.commit()
    client.post("/sign-in", data={"email": "dev@example.com", "password": PASSWORD})
    assert client.get("/admin/audit").status_code == 403


def test_downloads_are_recorded_and_never_rendered_inline(app_config, session, monkeypatch):
    import app as app_module

    monkeypatch.setattr(
        app_module, "BLUEPRINTS", [*app_module.BLUEPRINTS, "tests.support.security:code_bp"]
    )
    monkeypatch.setitem(AUDITED, "codeview.raw", "code.download")
    application = app_module.create_app(app_config)
    response = application.test_client().get("/stand-in/tickets/VT-AAAA-BBBB/raw/index.html")
    assert response.headers["Content-Disposition"] == "attachment"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert session.query(AuditEvent).filter_by(action="code.download").count() == 1
