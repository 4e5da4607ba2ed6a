"""web.limits: shared Redis rate limits applied by endpoint name, with an in-memory fallback."""

from __future__ import annotations

import io
import json

import pytest

from accounts.tokens import create_token
from app import create_app
from settings import SettingsError
from tests.support.factories import PASSWORD, make_user
from tests.support.forge_payloads import GITHUB_SECRET, github_headers
from tests.support.hostile import zip_bytes
from tests.support.security import client_from, limited_app, wrong_sign_in
from tests.support.services import RedisServer
from web.limits import LIMITS, unknown_endpoints


@pytest.fixture
def high_block_threshold(app_config):
    # These tests are about limits, not blocks: keep automatic blocking out of the way.
    app_config["auto_block_threshold"] = 1000
    return app_config


def test_two_app_instances_share_the_sign_in_limit_through_redis(high_block_threshold, redis_url):
    config = {**high_block_threshold, "rate_limit_sign_in": "3 per minute"}
    first = client_from(limited_app(config, redis_url), "203.0.113.5")
    second = client_from(limited_app(config, redis_url), "203.0.113.5")
    assert wrong_sign_in(first).status_code == 401
    assert wrong_sign_in(second).status_code == 401
    assert wrong_sign_in(first).status_code == 401
    refused = wrong_sign_in(second)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many requests" in refused.text


def test_the_limit_counts_per_address(high_block_threshold, redis_url):
    app = limited_app({**high_block_threshold, "rate_limit_sign_in": "1 per minute"}, redis_url)
    assert wrong_sign_in(client_from(app, "203.0.113.5")).status_code == 401
    assert wrong_sign_in(client_from(app, "203.0.113.5")).status_code == 429
    assert wrong_sign_in(client_from(app, "198.51.100.9")).status_code == 401


def test_showing_the_sign_in_form_does_not_use_up_sign_in_attempts(high_block_threshold, redis_url):
    app = limited_app({**high_block_threshold, "rate_limit_sign_in": "1 per minute"}, redis_url)
    client = client_from(app, "203.0.113.5")
    for _ in range(3):
        assert client.get("/sign-in").status_code == 200
    assert wrong_sign_in(client).status_code == 401


def test_api_clients_get_the_json_error_with_retry_after(high_block_threshold, redis_url):
    app = limited_app({**high_block_threshold, "rate_limit_default": "2 per minute"}, redis_url)
    client = client_from(app, "203.0.113.5")
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    refused = client.get("/api/v1/me")
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0


def test_signed_in_accounts_are_counted_by_account_as_well_as_by_address(
    high_block_threshold, redis_url, session
):
    make_user(session, "ada@example.com")
    session.commit()
    app = limited_app({**high_block_threshold, "rate_limit_default": "3 per minute"}, redis_url)
    laptop = client_from(app, "203.0.113.5")
    signed_in = {"email": "ada@example.com", "password": PASSWORD}
    assert laptop.post("/sign-in", data=signed_in).status_code == 302
    phone = client_from(app, "198.51.100.9")
    assert phone.post("/sign-in", data=signed_in).status_code == 302
    # the account's budget is shared between both addresses
    answers = [c.get("/dashboard").status_code for c in (laptop, phone, laptop, phone)]
    assert answers == [200, 200, 200, 429]


def test_health_probes_are_never_limited(high_block_threshold, redis_url):
    app = limited_app({**high_block_threshold, "rate_limit_default": "1 per minute"}, redis_url)
    client = client_from(app, "203.0.113.5")
    assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5


def test_with_redis_down_limits_fall_back_to_memory_and_the_site_stays_up(
    high_block_threshold, tmp_path
):
    server = RedisServer(tmp_path)
    server.start()
    try:
        app = limited_app(
            {**high_block_threshold, "rate_limit_sign_in": "2 per minute"}, server.url
        )
        client = client_from(app, "203.0.113.5")
        assert wrong_sign_in(client).status_code == 401
    finally:
        server.stop()
    assert client.get("/sign-in").status_code == 200
    assert client.get("/").status_code == 200
    answers = [wrong_sign_in(client).status_code for _ in range(3)]
    assert answers[0] == 401 and 429 in answers


def test_routes_from_other_rooms_are_limited_by_adding_their_endpoint_name(
    high_block_threshold, redis_url, monkeypatch
):
    import app as app_module

    monkeypatch.setattr(
        app_module, "BLUEPRINTS", [*app_module.BLUEPRINTS, "tests.support.security:elsewhere_bp"]
    )
    monkeypatch.setitem(LIMITS, "elsewhere.submit", LIMITS["submissions.create"])
    app = limited_app({**high_block_threshold, "rate_limit_submissions": "2 per hour"}, redis_url)
    assert "elsewhere.submit" in app.extensions["vetted_limited_endpoints"]
    client = client_from(app, "203.0.113.5")
    assert [client.post("/elsewhere").status_code for _ in range(3)] == [200, 200, 429]


def test_a_malformed_limit_setting_stops_start_up_naming_the_variable(app_config):
    with pytest.raises(SettingsError, match="RATE_LIMIT_SIGN_IN"):
        create_app({**app_config, "rate_limits_enabled": True, "rate_limit_sign_in": "lots"})


def test_webhooks_are_limited_per_installation_not_per_sender(high_block_threshold, redis_url):
    app = limited_app(
        {
            **high_block_threshold,
            "rate_limit_webhooks": "2 per minute",
            "github_webhook_secret": GITHUB_SECRET,
        },
        redis_url,
    )
    github = client_from(app, "140.82.115.1")

    def deliver(installation: int) -> int:
        body = json.dumps(
            {
                "action": "opened",
                "installation": {"id": installation},
                "zen": "Keep it logically awesome.",
            }
        ).encode()
        return github.post(
            "/webhooks/github", data=body, headers=github_headers("ping", body)
        ).status_code

    # the signature still verifies after the limiter read the payload to find the installation
    assert [deliver(1), deliver(1), deliver(1)] == [202, 202, 429]
    assert deliver(2) == 202  # another installation from the same GitHub address is unaffected


def test_repository_urls_use_the_repository_fetch_budget_and_archives_do_not(
    high_block_threshold, redis_url, session
):
    user = make_user(session, "dev@example.com")
    _, secret = create_token(session, user)
    session.commit()
    app = limited_app(
        {
            **high_block_threshold,
            "rate_limit_repo_fetch": "2 per hour",
            "rate_limit_submissions": "50 per hour",
        },
        redis_url,
    )
    client = client_from(app, "203.0.113.5", authorization=f"Bearer {secret}")

    def by_url() -> int:
        return client.post(
            "/api/v1/submissions",
            json={
                "repo_url": "https://github.com/octo/hello",
                "review_types": ["security"],
            },
        ).status_code

    def by_archive() -> int:
        return client.post(
            "/api/v1/submissions",
            data={
                "review_types": "security",
                "archive": (io.BytesIO(zip_bytes({"a.py": b"print(1)\n"})), "a.zip"),
            },
        ).status_code

    assert [by_url(), by_url(), by_url()] == [201, 201, 429]
    assert by_archive() == 201


def test_every_limited_endpoint_name_is_a_real_route(app):
    assert unknown_endpoints(app) == []


def test_with_limits_turned_off_no_route_is_wrapped_and_nothing_is_refused(app_config, session):
    app = create_app({**app_config, "rate_limits_enabled": False, "rate_limit_sign_in": "1/hour"})
    assert app.extensions["vetted_limited_endpoints"] == []
    client = client_from(app, "203.0.113.9")
    assert {wrong_sign_in(client).status_code for _ in range(5)} == {401}
