"""CSRF: every state-changing page route and browser-session API call refuses a missing token.

Routes come from the URL map, so routes added by other rooms are covered when they merge.
Webhooks (signed by the forge instead) and Bearer-token API calls are exempt by design.
"""

from __future__ import annotations

import re

import pytest

from app import create_app
from models.audit import AuditEvent
from tests.support.factories import PASSWORD, make_user

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
EXEMPT_PREFIXES = ("/webhooks/",)


@pytest.fixture
def csrf_client(app_config, session):  # type: ignore[no-untyped-def]
    make_user(session, "admin@example.com", "admin")
    session.commit()
    app = create_app({**app_config, "wtf_csrf_enabled": True})
    client = app.test_client()
    page = client.get("/sign-in").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed_in = client.post(
        "/sign-in", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 302
    return client


def _declared_exempt(app, rule) -> bool:  # type: ignore[no-untyped-def]
    """Views a room exempted on purpose (e.g. RFC 8058 one-click unsubscribe, which carries a
    signed token instead); the API is exempt here because it checks its own header."""
    csrf = app.extensions["csrf"]
    view = app.view_functions[rule.endpoint]
    blueprint = app.blueprints.get(rule.endpoint.rpartition(".")[0])
    return (
        f"{view.__module__}.{view.__name__}" in csrf._exempt_views
        or (blueprint is not None and blueprint in csrf._exempt_blueprints)
    ) and not rule.rule.startswith("/api/")


def _write_routes(app):  # type: ignore[no-untyped-def]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(EXEMPT_PREFIXES) or _declared_exempt(app, rule):
            continue
        for method in sorted(rule.methods & WRITE_METHODS):
            url = rule.rule
            for name in rule.arguments:
                url = re.sub(rf"<(?:[^:<>]+:)?{name}>", "1", url)
            yield method, url


def test_every_write_without_a_csrf_token_is_refused_and_changes_nothing(csrf_client, session):
    app = csrf_client.application
    routes = list(_write_routes(app))
    assert len(routes) >= 8
    before = session.query(AuditEvent).count()
    for method, url in sorted(routes, key=lambda r: "sign-out" in r[1]):
        response = csrf_client.open(url, method=method, data={"name": "x", "network": "1.2.3.4"})
        assert response.status_code == 400, (method, url, response.status_code)
        assert "expired" in response.get_data(as_text=True) or "CSRF" in response.get_data(
            as_text=True
        ), (method, url)
    session.expire_all()
    assert session.query(AuditEvent).count() == before
    assert csrf_client.get("/dashboard").status_code == 200  # still signed in: sign-out refused


def test_a_session_api_write_needs_the_csrf_header(csrf_client):
    refused = csrf_client.post("/api/v1/tokens", json={"name": "x"})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf"
    page = csrf_client.get("/settings/tokens").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = csrf_client.post(
        "/api/v1/tokens", json={"name": "x"}, headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201
