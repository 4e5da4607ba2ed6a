"""app: the factory wires everything from settings."""

from app import create_app


def test_the_factory_uses_the_given_settings(app_config):
    app = create_app({**app_config, "max_upload_bytes": 1234})
    assert app.config["SETTINGS"].max_upload_bytes == 1234
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_missing_secrets_are_invented_and_kept_outside_production(app_config, tmp_path):
    config = {**app_config, "secret_key": "", "encryption_keys": "", "var_dir": tmp_path / "v"}
    first = create_app(config).config["SETTINGS"]
    second = create_app(config).config["SETTINGS"]
    assert first.secret_key and first.secret_key == second.secret_key
    assert first.encryption_keys == second.encryption_keys
    assert oct((tmp_path / "v" / ".encryption_keys").stat().st_mode)[-3:] == "600"


def test_responses_carry_a_request_id(client):
    assert len(client.get("/healthz").headers["X-Request-ID"]) >= 8


def test_a_sane_incoming_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-12345678"})
    assert response.headers["X-Request-ID"] == "lb-12345678"


def test_bootstrap_is_served_locally(client):
    page = client.get("/sign-in").text
    assert "cdn.jsdelivr.net" not in page
    assert "/bootstrap/static/" in page


def test_embedded_job_threads_start_with_the_first_request_not_with_the_app(app_config):
    app = create_app({**app_config, "testing": False, "embedded_worker": True, "redis_url": ""})
    assert "vetted_loops" not in app.extensions  # what CLI commands get: no threads
    client = app.test_client()
    client.get("/healthz")
    loops = app.extensions["vetted_loops"]
    try:
        assert loops and all(loop.is_alive() for loop in loops)
        client.get("/healthz")
        assert app.extensions["vetted_loops"] is loops  # started once
    finally:
        for loop in loops:
            loop.stop()
