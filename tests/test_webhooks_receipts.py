"""Storing deliveries: batches of any size, each delivery once with its job, nothing lost."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime

import pytest
import requests
from sqlalchemy import select, text
from sqlalchemy.exc import DataError, OperationalError

from metrics import WEBHOOK_STORE_BATCH
from models.base import utcnow
from models.db import autocommit_engine, configure_engine
from models.forges import WebhookDelivery
from models.outbox import Outbox
from tests.support.forge_payloads import (
    GITHUB_SECRET,
    github_headers,
    github_payload,
    running_server,
    stored_deliveries_and_jobs,
)
from webhooks.receipts import GROUP_COMMIT, PROCESS_JOB, StoredRow, store_rows


@pytest.fixture
def app_config(app_config):
    app_config.update(github_webhook_secret=GITHUB_SECRET)
    return app_config


SEAL = WebhookDelivery.__table__.c.payload.type  # the column's own sealing


def _row(delivery: str | None = None, **changes: object) -> StoredRow:
    values: dict[str, object] = {
        "forge": "github",
        "delivery_id": delivery or str(uuid.uuid4()),
        "event": "pull_request",
        "action": "opened",
        "installation_ref": "42",
        "payload": SEAL.process_bind_param('{"zen": "Keep it logically awesome."}', None),
        "received_at": utcnow(),
        **changes,
    }
    return StoredRow(**values)  # type: ignore[arg-type]


def _jobs_by_delivery(session) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """delivery id -> outbox status of its processing job."""
    session.expire_all()
    ids = dict(session.execute(select(WebhookDelivery.id, WebhookDelivery.delivery_id)).all())
    jobs = session.scalars(select(Outbox).where(Outbox.job == PROCESS_JOB)).all()
    return {ids[job.kwargs["delivery_id"]]: job.status for job in jobs}


def test_a_batch_stores_every_delivery_with_its_own_pending_job(pg_url, session):
    rows = [_row(), _row(action=None, installation_ref=None), _row(event="issue_comment")]

    assert store_rows(rows) == [True, True, True]

    assert _jobs_by_delivery(session) == {row.delivery_id: "pending" for row in rows}
    stored = {r.delivery_id: r for r in session.scalars(select(WebhookDelivery))}
    assert stored[rows[1].delivery_id].action is None
    assert stored[rows[2].delivery_id].event == "issue_comment"
    assert isinstance(stored[rows[0].delivery_id].received_at, datetime)
    assert json.loads(stored[rows[0].delivery_id].payload) == {"zen": "Keep it logically awesome."}


def test_a_delivery_twice_in_one_batch_is_stored_once_and_the_repeat_is_a_duplicate(
    pg_url, session
):
    twice = str(uuid.uuid4())
    other = _row()

    assert store_rows([_row(twice), other, _row(twice)]) == [True, True, False]
    assert stored_deliveries_and_jobs(session) == (2, 2)


def test_a_delivery_seen_in_an_earlier_batch_is_a_duplicate(pg_url, session):
    seen = _row()
    store_rows([seen])

    assert store_rows([_row(seen.delivery_id), _row()]) == [False, True]
    assert store_rows([_row(seen.delivery_id, forge="gitlab")]) == [True]  # keyed per forge
    assert stored_deliveries_and_jobs(session) == (3, 3)


def test_a_row_postgresql_refuses_fails_alone_and_the_rest_of_its_batch_is_stored(pg_url, session):
    good, bad, also_good = _row(), _row(installation_ref="9" * 65), _row()

    outcomes = store_rows([good, bad, also_good])

    assert outcomes[0] is True and outcomes[2] is True
    assert isinstance(outcomes[1], DataError)
    assert set(_jobs_by_delivery(session)) == {good.delivery_id, also_good.delivery_id}


def test_an_unreachable_database_fails_the_whole_batch_at_once(pg_url):
    configure_engine("postgresql://postgres@127.0.0.1:1/vetted_nowhere")
    try:
        with pytest.raises(OperationalError):
            store_rows([_row(), _row()])
    finally:
        configure_engine(pg_url)


def test_a_pooled_connection_postgresql_dropped_is_replaced_and_the_store_retried(pg_url, session):
    store_rows([_row()])  # a connection now sits in the pool, its statement prepared
    pooled = autocommit_engine().raw_connection()
    backend = pooled.dbapi_connection.get_backend_pid()
    pooled.close()
    with configure_engine(pg_url).connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        admin.commit()

    assert store_rows([_row()]) == [True]
    assert stored_deliveries_and_jobs(session) == (2, 2)
    replacement = autocommit_engine().raw_connection()
    assert replacement.dbapi_connection.get_backend_pid() != backend
    replacement.close()


def test_a_delivery_while_the_database_is_unreachable_is_answered_503_and_can_be_resent(
    client, session, pg_url
):
    body = json.dumps(github_payload("pull_request/opened.payload.json")).encode()
    headers = github_headers("pull_request", body)
    configure_engine("postgresql://postgres@127.0.0.1:1/vetted_nowhere")
    try:
        refused = client.post("/webhooks/github", data=body, headers=headers)
    finally:
        configure_engine(pg_url)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert refused.json["error"]["code"] == "unavailable"

    resent = client.post("/webhooks/github", data=body, headers=headers)
    assert resent.status_code == 202
    assert stored_deliveries_and_jobs(session) == (1, 1)


def _post_at_once(base: str, deliveries: list[str]) -> list[requests.Response]:
    """One thread per delivery, released together, each posting the same signed body."""
    body = json.dumps(github_payload("pull_request/opened.payload.json")).encode()
    start = threading.Barrier(len(deliveries))
    answers: list[requests.Response] = []

    def post(delivery: str) -> None:
        headers = github_headers("pull_request", body, delivery=delivery)
        start.wait(10)
        answers.append(
            requests.post(f"{base}/webhooks/github", data=body, headers=headers, timeout=30)
        )

    threads = [threading.Thread(target=post, args=(delivery,)) for delivery in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def test_the_same_delivery_arriving_eight_times_at_once_is_accepted_exactly_once(app, session):
    delivery = str(uuid.uuid4())
    with running_server(app) as base:
        answers = _post_at_once(base, [delivery] * 8)

    assert sorted(answer.status_code for answer in answers) == [200] * 7 + [202]
    assert {a.json()["status"] for a in answers if a.status_code == 200} == {"duplicate"}
    assert _jobs_by_delivery(session) == {delivery: "pending"}


def _batch_totals() -> tuple[float, float]:
    """(batches committed, deliveries in them) so far in this process."""
    samples = {s.name: s.value for s in WEBHOOK_STORE_BATCH.collect()[0].samples}
    return samples["vetted_webhook_store_batch_size_count"], samples[
        "vetted_webhook_store_batch_size_sum"
    ]


def test_deliveries_arriving_together_each_go_through_one_batch_and_are_all_stored(app, session):
    batches_before, rows_before = _batch_totals()
    deliveries = [str(uuid.uuid4()) for _ in range(24)]
    with running_server(app) as base:
        answers = _post_at_once(base, deliveries)

    assert [answer.status_code for answer in answers] == [202] * 24
    assert _jobs_by_delivery(session) == dict.fromkeys(deliveries, "pending")
    batches, rows = _batch_totals()
    assert rows - rows_before == 24  # each delivery in exactly one batch
    assert 1 <= batches - batches_before <= 24
    assert GROUP_COMMIT.waiting == 0


def test_labels_kept_in_the_clear_lose_nul_characters_and_fit_their_column(client, session):
    payload = github_payload("pull_request/opened.payload.json")
    payload["action"] = "open\u0000ed" + "x" * 100
    payload["installation"] = {"id": "1\u00002" * 40}
    body = json.dumps(payload).encode()

    response = client.post(
        "/webhooks/github", data=body, headers=github_headers("pull_request", body)
    )

    assert response.status_code == 202
    row = session.scalar(select(WebhookDelivery))
    assert row.action == ("opened" + "x" * 100)[:64]
    assert row.installation_ref == "12" * 32
    assert json.loads(row.payload) == payload  # the payload itself is kept exactly
