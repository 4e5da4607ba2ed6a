"""web.health: alive and ready."""


def test_healthz_answers_ok(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_checks_the_database_and_queue(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["database"] == "ok"


def test_readyz_reports_an_unreachable_queue(app_config):
    from app import create_app
    from tests.support.services import free_port

    app_config["redis_url"] = f"redis://127.0.0.1:{free_port()}/0"
    response = create_app(app_config).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["queue"] != "ok"
