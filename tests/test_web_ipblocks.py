"""web.ipblocks: blocked clients get 403, offenders get blocked, admins manage blocks."""

from __future__ import annotations

import re

from models.audit import AuditEvent, IpBlock
from security.ipblocks import block
from tests.support.factories import PASSWORD, make_user
from tests.support.security import client_from, limited_app, wrong_sign_in


def _sign_in(client, email):  # type: ignore[no-untyped-def]
    return client.post("/sign-in", data={"email": email, "password": PASSWORD})


def test_a_blocked_address_gets_403_with_a_clear_message(app, session):
    block(session, "203.0.113.0/24", reason="abuse", minutes=30)
    session.commit()
    response = client_from(app, "203.0.113.9").get("/sign-in")
    assert response.status_code == 403
    assert "blocked until" in response.text
    assert int(response.headers["Retry-After"]) > 0
    api = client_from(app, "203.0.113.9").get("/api/v1/me")
    assert api.status_code == 403 and api.json["error"]["code"] == "ip_blocked"
    assert client_from(app, "198.51.100.1").get("/sign-in").status_code == 200


def test_health_probes_pass_even_from_a_blocked_address(app, session):
    block(session, "203.0.113.9", reason="abuse")
    session.commit()
    assert client_from(app, "203.0.113.9").get("/healthz").status_code == 200


def test_x_forwarded_for_cannot_spoof_the_address_without_trusted_proxies(app, session):
    block(session, "203.0.113.9", reason="abuse")
    session.commit()
    # the blocked client claims to be someone else
    disguised = client_from(app, "203.0.113.9", **{"X-Forwarded-For": "198.51.100.1"})
    assert disguised.get("/sign-in").status_code == 403
    # and an innocent client cannot be framed by a forged header
    framed = client_from(app, "198.51.100.1", **{"X-Forwarded-For": "203.0.113.9"})
    assert framed.get("/sign-in").status_code == 200


def test_with_one_trusted_proxy_the_address_it_saw_is_used(app_config, session):
    from app import create_app

    app = create_app({**app_config, "trusted_proxies": 1})
    block(session, "203.0.113.9", reason="abuse")
    session.commit()
    via_proxy = client_from(app, "10.0.0.2", **{"X-Forwarded-For": "203.0.113.9"})
    assert via_proxy.get("/sign-in").status_code == 403
    # a client prepending its own forged value does not escape: the proxy appended the real one
    forged = client_from(app, "10.0.0.2", **{"X-Forwarded-For": "198.51.100.1, 203.0.113.9"})
    assert forged.get("/sign-in").status_code == 403


def test_repeated_failed_sign_ins_block_the_address_across_servers(app_config, redis_url, session):
    config = {**app_config, "auto_block_threshold": 3, "rate_limit_sign_in": "100 per minute"}
    first = client_from(limited_app(config, redis_url), "203.0.113.5")
    second = client_from(limited_app(config, redis_url), "203.0.113.5")
    assert wrong_sign_in(first).status_code == 401
    assert wrong_sign_in(second).status_code == 401
    assert wrong_sign_in(first).status_code == 401  # the third offence earns the block
    assert first.get("/sign-in").status_code == 403
    # the other server sees it once its cached list (5 s) is refreshed
    second.application.extensions["vetted_block_cache"].invalidate()
    refused = second.get("/sign-in")
    assert refused.status_code == 403 and "blocked until" in refused.text
    row = session.query(IpBlock).one()
    assert row.automatic and row.network == "203.0.113.5/32" and row.strikes == 1
    assert session.query(AuditEvent).filter_by(action="ip.auto_block").count() == 1
    assert client_from(first.application, "198.51.100.1").get("/sign-in").status_code == 200


def test_an_address_that_keeps_hitting_limits_is_blocked(app_config, redis_url, session):
    config = {**app_config, "auto_block_threshold": 3, "rate_limit_default": "1 per minute"}
    client = client_from(limited_app(config, redis_url), "203.0.113.5")
    answers = [client.get("/").status_code for _ in range(5)]
    assert answers == [200, 429, 429, 429, 403]
    assert session.query(IpBlock).filter_by(automatic=True).count() == 1


def test_admins_block_and_lift_ranges_from_the_admin_page(client, session):
    make_user(session, "admin@example.com", "admin")
    session.commit()
    _sign_in(client, "admin@example.com")
    response = client.post(
        "/admin/ip-blocks", data={"network": "203.0.113.0/24", "reason": "scraping", "minutes": 60}
    )
    assert response.status_code == 302
    page = client.get("/admin/ip-blocks").text
    assert "203.0.113.0/24" in page and "scraping" in page
    row = session.query(IpBlock).one()
    assert client.post(f"/admin/ip-blocks/{row.id}/lift").status_code == 302
    session.expire_all()
    assert session.get(IpBlock, row.id).lifted_at is not None
    actions = {e.action for e in session.query(AuditEvent)}
    assert {"ip.block", "ip.unblock"} <= actions


def test_a_bad_network_on_the_admin_page_explains_and_blocks_nothing(client, session):
    make_user(session, "admin@example.com", "admin")
    session.commit()
    _sign_in(client, "admin@example.com")
    response = client.post("/admin/ip-blocks", data={"network": "10.0.0.300", "reason": "x"})
    assert response.status_code == 400
    assert "is not an IP address or CIDR range" in response.text
    assert session.query(IpBlock).count() == 0


def test_only_admins_reach_the_ip_blocks_page(client, session):
    make_user(session, "dev@example.com")
    session.commit()
    assert client.get("/admin/ip-blocks").status_code == 302  # to sign-in
    _sign_in(client, "dev@example.com")
    assert client.get("/admin/ip-blocks").status_code == 403
    assert (
        client.post("/admin/ip-blocks", data={"network": "1.2.3.4", "reason": "x"}).status_code
        == 403
    )


def test_the_admin_page_has_csrf_protected_forms(app_config, session):
    from app import create_app

    make_user(session, "admin@example.com", "admin")
    session.commit()
    client = create_app({**app_config, "wtf_csrf_enabled": True}).test_client()
    page = client.get("/sign-in").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/sign-in", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token}
    )
    refused = client.post("/admin/ip-blocks", data={"network": "1.2.3.4", "reason": "x"})
    assert refused.status_code == 400
    assert session.query(IpBlock).count() == 0


def test_refusals_carry_the_request_id(app, session):
    block(session, "203.0.113.9", reason="abuse")
    session.commit()
    response = client_from(app, "203.0.113.9").get("/api/v1/me")
    assert response.json["error"]["request_id"] == response.headers["X-Request-ID"]
