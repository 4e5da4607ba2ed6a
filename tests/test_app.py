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


def test_plain_views_and_hooks_are_checked_for_async_once_and_marked_on_the_function(app):
    def view() -> str:
        return "plain"

    assert app.ensure_sync(view) is view
    assert view._vetted_plain_function is True  # the mark lives and dies with the function
    assert app.ensure_sync(view) is view


def test_an_async_view_is_never_mistaken_for_a_plain_one(app):
    async def view() -> str:
        return "async"

    try:
        wrapped = app.ensure_sync(view)
    except RuntimeError as exc:  # Flask's async support needs the asgiref extra
        assert "async" in str(exc)
    else:
        assert wrapped is not view
    assert not hasattr(view, "_vetted_plain_function")


def test_functions_made_per_request_run_and_bound_methods_are_simply_asked_each_time(app):
    from flask import after_this_request

    seen: list[str] = []

    class Hook:
        def method(self) -> str:
            return "bound"

    bound = Hook().method
    assert app.ensure_sync(bound) == bound
    assert not hasattr(Hook.method, "_vetted_plain_function")  # nothing was remembered

    @app.get("/_per_request")
    def per_request() -> str:
        @after_this_request
        def tag(response):  # type: ignore[no-untyped-def]
            seen.append("after")
            return response

        return "ok"

    assert app.test_client().get("/_per_request").text == "ok"
    assert seen == ["after"]
