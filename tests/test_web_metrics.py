"""web.metrics: Prometheus metrics by route, with live ticket and outbox gauges."""

from tests.support.factories import make_ticket, make_user


def test_metrics_count_requests_by_route_template_not_raw_path(client):
    client.get("/healthz")
    client.get("/api/v1/nothing/VT-AAAA-BBBB")
    body = client.get("/metrics").text
    assert 'vetted_http_requests_total{method="GET",route="/healthz",status="200"}' in body
    assert 'route="unmatched"' in body
    assert "VT-AAAA-BBBB" not in body


def test_metrics_include_tickets_by_status_and_outbox_depth(client, session):
    make_ticket(session, make_user(session))
    session.commit()
    body = client.get("/metrics").text
    assert 'vetted_tickets{status="submitted"} 1.0' in body
    assert 'vetted_outbox_rows{status="pending"}' in body


def test_metrics_are_refused_to_remote_clients_without_the_token(client):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert response.status_code == 404


def test_metrics_accept_the_configured_token_from_anywhere(app_config):
    from app import create_app

    app_config["metrics_token"] = "scrape-me"
    client = create_app(app_config).test_client()
    remote = {"REMOTE_ADDR": "203.0.113.7"}
    assert client.get("/metrics", environ_base=remote).status_code == 404
    response = client.get(
        "/metrics", environ_base=remote, headers={"Authorization": "Bearer scrape-me"}
    )
    assert response.status_code == 200
