"""web.errors: every error is a friendly page or the JSON error shape, never a traceback."""

import pytest
from flask import Blueprint

from tests.support.services import free_port
from web.api import public


@pytest.fixture
def broken_app(app):
    bp = Blueprint("broken", __name__)

    @bp.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    @bp.get("/api/v1/boom")
    @public
    def api_boom():
        raise RuntimeError("secret internals")

    app.register_blueprint(bp)
    return app


def test_an_unknown_api_path_answers_the_json_error_shape(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"]["code"] == "not_found"
    assert body["error"]["message"]


def test_an_unknown_page_answers_a_friendly_html_page(client):
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert "text/html" in response.content_type
    assert "We could not find what you were looking for." in response.text


def test_an_unexpected_error_shows_the_server_error_page_with_a_reference(broken_app, caplog):
    response = broken_app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Server error. Please try again." in response.text
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    request_id = response.headers["X-Request-ID"]
    assert request_id in response.text
    assert "secret internals" in caplog.text


def test_an_unexpected_api_error_is_json_with_the_request_id(broken_app):
    response = broken_app.test_client().get("/api/v1/boom")
    body = response.get_json()
    assert response.status_code == 500
    assert body["error"] == {
        "code": "server_error",
        "message": "Server error. Please try again.",
        "request_id": response.headers["X-Request-ID"],
    }


def test_a_wrong_method_is_405_with_allow(client):
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_the_database_being_down_is_a_503_not_a_500(app_config):
    from app import create_app

    app_config["database_url"] = f"postgresql://postgres@127.0.0.1:{free_port()}/none"
    client = create_app(app_config).test_client()
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer vt_x"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    assert client.get("/readyz").status_code == 503
