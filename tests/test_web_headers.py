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


@pytest.fixture
def live_server(app_config, session):  # type: ignore[no-untyped-def]
    """The real app (CSRF on) served over HTTP on loopback, for the browser."""
    import threading

    from werkzeug.serving import make_server

    from tests.support.factories import make_user
    from tests.support.services import free_port

    make_user(session, "admin@example.com", "admin")
    session.commit()
    application = create_app({**app_config, "wtf_csrf_enabled": True})
    port = free_port()
    server = make_server("127.0.0.1", port, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.browser
def test_a_real_browser_reports_no_csp_violation_and_bootstrap_js_works(live_server):
    from pathlib import Path

    from tests.support.factories import PASSWORD
    from tests.support.services import unavailable

    if not Path(CHROMIUM).exists():
        unavailable("Chromium is not installed at /usr/lib/chromium/chromium")
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 600, "height": 900})
        page.on(
            "console",
            lambda msg: (
                problems.append(msg.text)
                if (msg.type == "error" and "Failed to load resource" not in msg.text)
                or "Content Security Policy" in msg.text
                else None
            ),
        )
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on(
            "response",
            lambda r: (
                problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico")
                else None
            ),
        )
        for path in ("/", "/sign-up", "/forgot-password", "/sign-in"):
            page.goto(f"{live_server}{path}")
            assert page.evaluate("typeof window.bootstrap") == "object", path
        page.fill("input[name=email]", "admin@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/dashboard")
        for path in ("/settings/tokens", "/admin/ip-blocks", "/admin/audit", "/dashboard"):
            page.goto(f"{live_server}{path}")
            assert page.evaluate("typeof window.bootstrap") == "object", path
        # Bootstrap's collapse (script from 'self') opens the narrow navbar
        page.click("button.navbar-toggler")
        page.wait_for_selector("#nav.show")
        browser.close()
    assert not problems, problems
