"""The GitHub receiver: signatures, de-duplication, storage, and real payloads replayed."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select, text

from models.crypto import Keyring
from models.forges import WebhookDelivery
from models.outbox import Outbox
from tests.support.forge_payloads import (
    GITHUB_SECRET,
    github_files,
    github_headers,
    running_server,
    stored_deliveries_and_jobs,
)
from webhooks.github import HANDLED_EVENTS, signature_for, signature_matches


@pytest.fixture
def app_config(app_config):
    app_config.update(github_webhook_secret=GITHUB_SECRET, webhook_max_bytes=2 * 1024 * 1024)
    return app_config


def test_githubs_published_hmac_test_vector_is_computed_and_accepted():
    secret, body = "It's a Secret to Everybody", b"Hello, World!"
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_for(secret, body) == expected
    assert signature_matches(secret, body, expected)
    assert not signature_matches(secret, body + b" ", expected)
    assert not signature_matches("", body, expected)


def test_every_fixture_payload_is_stored_encrypted_and_enqueued_once(client, session):
    handled = 0
    for event, path in github_files():
        body = path.read_bytes()
        headers = github_headers(event, body)
        response = client.post("/webhooks/github", data=body, headers=headers)
        if event in HANDLED_EVENTS:
            assert response.status_code == 202, (path, response.json)
            handled += 1
            row = session.scalar(
                select(WebhookDelivery).where(
                    WebhookDelivery.delivery_id == headers["X-GitHub-Delivery"]
                )
            )
            payload = json.loads(body)
            assert row.event == event and row.forge == "github"
            assert row.action == payload.get("action")
            assert json.loads(row.payload) == payload
            if "installation" in payload:
                assert row.installation_ref == str(payload["installation"]["id"])
            stored_raw = bytes(
                session.execute(
                    text("SELECT payload FROM webhook_deliveries WHERE id = :id"), {"id": row.id}
                ).scalar()
            )
            assert b'"action"' not in stored_raw and b'"sender"' not in stored_raw  # ciphertext
            if len(body) > 8192:  # compressed before sealing: a fraction of the JSON's size
                assert Keyring.is_compressed(stored_raw)
                assert len(stored_raw) < len(body) / 3
            [job] = [
                o for o in session.scalars(select(Outbox)) if o.kwargs == {"delivery_id": row.id}
            ]
            assert job.job == "bot.jobs.process_delivery" and job.kwargs == {"delivery_id": row.id}
        else:
            assert response.status_code == 422, path
            assert response.json["error"]["code"] == "unknown_event"
    assert handled >= 40
    assert stored_deliveries_and_jobs(session) == (handled, handled)


def test_the_same_delivery_three_times_is_stored_and_enqueued_once(client, session):
    event, path = "pull_request", next(p for e, p in github_files() if e == "pull_request")
    body = path.read_bytes()
    headers = github_headers(event, body, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    statuses = [
        client.post("/webhooks/github", data=body, headers=headers).status_code for _ in range(3)
    ]
    assert statuses == [202, 200, 200]
    assert stored_deliveries_and_jobs(session) == (1, 1)


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=" + "0" * 64, "sha1=abc", "sha256=not-hex"],
    ids=["missing", "empty", "zeros", "sha1", "garbage"],
)
def test_a_missing_or_wrong_signature_is_refused_with_401_and_nothing_stored(
    client, session, signature
):
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
    headers = github_headers("ping", body)
    if signature is None:
        headers.pop("X-Hub-Signature-256")
    else:
        headers["X-Hub-Signature-256"] = signature
    response = client.post("/webhooks/github", data=body, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "bad_signature"
    assert stored_deliveries_and_jobs(session) == (0, 0)


def test_a_replayed_body_under_another_delivery_signed_with_another_secret_is_refused(
    client, session
):
    body = json.dumps({"action": "opened", "number": 1}).encode()
    headers = github_headers("pull_request", body, secret="an attacker's guess")
    assert client.post("/webhooks/github", data=body, headers=headers).status_code == 401
    # a body altered after signing (a replay with a changed payload) fails the same way
    good = github_headers("pull_request", body)
    tampered = body.replace(b"1", b"2")
    assert client.post("/webhooks/github", data=tampered, headers=good).status_code == 401
    assert stored_deliveries_and_jobs(session) == (0, 0)


def test_oversized_non_json_and_unknown_event_bodies_get_clear_4xx_and_store_nothing(
    client, session, app
):
    big = b'{"x": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = client.post("/webhooks/github", data=big, headers=github_headers("ping", big))
    assert response.status_code == 413 and response.json["error"]["code"] == "payload_too_large"
    form = b"payload=%7B%7D"
    response = client.post("/webhooks/github", data=form, headers=github_headers("ping", form))
    assert response.status_code == 400 and response.json["error"]["code"] == "not_json"
    body = b'{"action": "created"}'
    response = client.post("/webhooks/github", data=body, headers=github_headers("fork", body))
    assert response.status_code == 422 and "fork" in response.json["error"]["message"]
    headers = github_headers("ping", body)
    headers.pop("X-GitHub-Delivery")
    assert client.post("/webhooks/github", data=body, headers=headers).status_code == 400
    assert stored_deliveries_and_jobs(session) == (0, 0)


def test_deliveries_over_a_real_socket_are_stored_and_redeliveries_answered_200(app, session):
    with running_server(app) as base:
        accepted = 0
        for event, path in github_files():
            if event not in HANDLED_EVENTS:
                continue
            body = path.read_bytes()
            headers = github_headers(event, body)
            first = requests.post(f"{base}/webhooks/github", data=body, headers=headers, timeout=10)
            again = requests.post(f"{base}/webhooks/github", data=body, headers=headers, timeout=10)
            assert (first.status_code, again.status_code) == (202, 200), path
            assert again.json()["status"] == "duplicate"
            accepted += 1
        bad = requests.post(
            f"{base}/webhooks/github",
            data=b"{}",
            headers={**github_headers("ping", b"{}"), "X-Hub-Signature-256": "sha256=00"},
            timeout=10,
        )
        assert bad.status_code == 401 and bad.headers["Content-Type"] == "application/json"
    assert stored_deliveries_and_jobs(session) == (accepted, accepted)


def test_a_signed_body_nested_too_deeply_is_refused_clearly_and_not_stored(client, session):
    body = ("[" * 100_000 + "]" * 100_000).encode()
    body = b'{"action": "opened", "x": ' + body + b"}"
    response = client.post(
        "/webhooks/github", data=body, headers=github_headers("pull_request", body)
    )
    assert response.status_code == 400
    assert response.json["error"]["message"] == "The JSON body is nested too deeply."
    assert stored_deliveries_and_jobs(session) == (0, 0)
