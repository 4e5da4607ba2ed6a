"""The GitLab receiver: hook tokens per integration, de-duplication, real payloads replayed."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select

from models.forges import Installation, WebhookDelivery
from models.outbox import Outbox
from tests.support.forge_payloads import (
    GITLAB_TOKEN,
    gitlab_files,
    gitlab_headers,
    gitlab_payload,
    running_server,
    stored_deliveries_and_jobs,
)
from webhooks.gitlab import HANDLED_EVENTS


@pytest.fixture
def app_config(app_config):
    app_config.update(gitlab_webhook_token=GITLAB_TOKEN)
    return app_config


def test_every_fixture_payload_with_the_right_token_is_stored_and_enqueued(client, session):
    handled = 0
    for event, path in gitlab_files():
        body = path.read_bytes()
        headers = gitlab_headers(event)
        response = client.post("/webhooks/gitlab", data=body, headers=headers)
        if event not in HANDLED_EVENTS:
            assert response.status_code == 422, path
            continue
        assert response.status_code == 202, (path, response.json)
        handled += 1
        row = session.scalar(
            select(WebhookDelivery).where(
                WebhookDelivery.delivery_id == headers["X-Gitlab-Event-UUID"]
            )
        )
        payload = json.loads(body)
        assert row.forge == "gitlab" and row.event == event
        assert json.loads(row.payload) == payload
        if isinstance(payload.get("project"), dict) and "id" in payload["project"]:
            assert row.installation_ref == str(payload["project"]["id"])
        jobs = [o for o in session.scalars(select(Outbox)) if o.kwargs == {"delivery_id": row.id}]
        assert [(j.job, j.status) for j in jobs] == [("bot.jobs.process_delivery", "pending")]
    assert handled == 17
    assert stored_deliveries_and_jobs(session) == (handled, handled)


def test_the_idempotency_key_wins_over_the_event_uuid_and_three_sends_store_one(client, session):
    body = json.dumps(gitlab_payload("merge_request.json")).encode()
    statuses = [
        client.post(
            "/webhooks/gitlab",
            data=body,
            headers=gitlab_headers("Merge Request Hook", key="retry-key-1"),  # new UUID each time
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [202, 200, 200]
    row = session.scalar(select(WebhookDelivery))
    assert row.delivery_id == "retry-key-1"
    same_uuid = gitlab_headers("Merge Request Hook", uuid_value="uuid-1")
    assert client.post("/webhooks/gitlab", data=body, headers=same_uuid).status_code == 202
    assert client.post("/webhooks/gitlab", data=body, headers=same_uuid).status_code == 200
    assert stored_deliveries_and_jobs(session) == (2, 2)


def test_a_project_integration_token_is_required_for_that_project(client, session):
    payload = gitlab_payload("merge_request.json")
    session.add(
        Installation(
            forge="gitlab",
            external_id=payload["project"]["id"],
            account_login=payload["project"]["path_with_namespace"].split("/")[0],
            account_type="project",
            webhook_token="project-specific-token",
        )
    )
    session.commit()
    body = json.dumps(payload).encode()
    fallback = client.post(
        "/webhooks/gitlab", data=body, headers=gitlab_headers("Merge Request Hook")
    )
    assert fallback.status_code == 401 and fallback.json["error"]["code"] == "bad_token"
    right = gitlab_headers("Merge Request Hook", token="project-specific-token")
    assert client.post("/webhooks/gitlab", data=body, headers=right).status_code == 202
    assert stored_deliveries_and_jobs(session) == (1, 1)


@pytest.mark.parametrize("token", [None, "", "wrong", GITLAB_TOKEN + "x"])
def test_a_missing_or_wrong_token_is_refused_with_401_and_nothing_stored(client, session, token):
    body = json.dumps(gitlab_payload("note_merge_request.json")).encode()
    headers = gitlab_headers("Note Hook")
    if token is None:
        headers.pop("X-Gitlab-Token")
    else:
        headers["X-Gitlab-Token"] = token
    response = client.post("/webhooks/gitlab", data=body, headers=headers)
    assert response.status_code == 401
    assert stored_deliveries_and_jobs(session) == (0, 0)


def test_non_json_oversized_and_unknown_events_store_nothing(client, session, app):
    response = client.post("/webhooks/gitlab", data=b"<xml/>", headers=gitlab_headers("Note Hook"))
    assert response.status_code == 400 and response.json["error"]["code"] == "not_json"
    limit = app.config["SETTINGS"].webhook_max_bytes
    big = b'{"a":"' + b"x" * limit + b'"}'
    assert (
        client.post("/webhooks/gitlab", data=big, headers=gitlab_headers("Note Hook")).status_code
        == 413
    )
    body = json.dumps(gitlab_payload("push.json")).encode()
    response = client.post("/webhooks/gitlab", data=body, headers=gitlab_headers("Push Hook"))
    assert response.status_code == 422 and "Push Hook" in response.json["error"]["message"]
    assert stored_deliveries_and_jobs(session) == (0, 0)


def test_deliveries_over_a_real_socket_are_stored_once(app, session):
    with running_server(app) as base:
        for event, path in gitlab_files():
            if event not in HANDLED_EVENTS:
                continue
            headers = gitlab_headers(event)
            body = path.read_bytes()
            codes = [
                requests.post(
                    f"{base}/webhooks/gitlab", data=body, headers=headers, timeout=10
                ).status_code
                for _ in range(2)
            ]
            assert codes == [202, 200], path
    assert stored_deliveries_and_jobs(session) == (17, 17)


def test_a_malformed_project_is_refused_as_unauthenticated_not_a_crash(client, session):
    body = json.dumps({"project": {"id": "x' OR 1=1"}, "object_kind": "note"}).encode()
    response = client.post(
        "/webhooks/gitlab", data=body, headers=gitlab_headers("Note Hook", token="t")
    )
    assert response.status_code == 401
    assert stored_deliveries_and_jobs(session) == (0, 0)
