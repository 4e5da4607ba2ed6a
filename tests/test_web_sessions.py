"""web.sessions: requests without a session cookie get a fresh session; signed ones still open."""

from __future__ import annotations

from flask import request

from tests.support.factories import make_user
from tests.support.web import sign_in


def test_a_request_without_a_session_cookie_gets_an_empty_session_it_can_write(app):
    with app.test_request_context("/webhooks/github", method="POST"):
        opened = app.session_interface.open_session(app, request)
        assert opened is not None and dict(opened) == {} and not opened.modified
        opened["seen"] = True
        assert opened.modified


def test_a_signed_in_browser_keeps_its_session_and_a_tampered_cookie_opens_empty(
    app, client, session
):
    make_user(session, "kept@example.com")
    session.commit()
    sign_in(client, "kept@example.com")
    assert client.get("/dashboard").status_code == 200
    name = app.config["SESSION_COOKIE_NAME"]
    value = client.get_cookie(name).value
    with app.test_request_context("/", headers={"Cookie": f"{name}={value}"}):
        assert dict(app.session_interface.open_session(app, request))  # the signed identity
    with app.test_request_context("/", headers={"Cookie": f"{name}={value[:-2]}xx"}):
        assert dict(app.session_interface.open_session(app, request)) == {}


def test_cookies_that_are_not_the_session_cookie_open_an_empty_session(app):
    with app.test_request_context("/", headers={"Cookie": "theme=dark; _csrf_token=abc"}):
        opened = app.session_interface.open_session(app, request)
        assert opened is not None and dict(opened) == {}
