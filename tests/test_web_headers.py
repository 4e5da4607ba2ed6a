"""web.headers: CSP without inline script, no sniffing, no framing, HSTS only in production."""

from __future__ import annotations

import re

import pytest

from app import create_app


@pytest.mark.parametrize("path", ["/", "/sign-in", "/sign-up", "/api/v1/me", "/no-such-page"])
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_is_sent_in_production(app_config):
    app = create_app({**app_config, "env": "production"})
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("path", ["/", "/sign-in", "/sign-up", "/settings/tokens"])
def test_pages_have_no_inline_script_or_event_handlers(client, session, path):
    from tests.support.factories import PASSWORD, make_user

    make_user(session, "ada@example.com")
    session.commit()
    if path.startswith("/settings"):
        client.post("/sign-in", data={"email": "ada@example.com", "password": PASSWORD})
    page = client.get(path).text
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag, tag
    assert not re.search(r"<script\b[^>]*>(?!</script>)", page)
    assert not re.search(r"\son[a-z]+\s*=", page, re.IGNORECASE)
    assert "javascript:" not in page.lower()
