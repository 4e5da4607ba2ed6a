"""Fault drills: during a burst of submissions through the balancer, break something.

Each drill ends with every accepted submission present and processed exactly once, and every
refused request answered with a clear error — never a 500.
"""

from __future__ import annotations

import time

import pytest
from redis import Redis
from sqlalchemy import text

from tests.drills.burst import (
    burst,
    duplicates,
    retry_fetch_failures,
    wait_until_fetched_or_given_up,
    wait_until_processed,
)
from tests.drills.conftest import BURST

pytestmark = pytest.mark.drill


def check_outcome(drill, answers, retry_fetches: bool = False) -> None:
    accepted = [a.ticket_id for a in answers if a.status == 201]
    refused = [a for a in answers if a.status != 201]
    assert accepted, "nothing was accepted"
    for answer in refused:
        assert answer.status != 500 and answer.status >= 400, answer
        assert answer.error and answer.error.get("message"), answer
    if retry_fetches:
        # A fetch that gave up rests in `submitted` with a retry button; the developer presses it.
        wait_until_fetched_or_given_up(drill.engine, accepted)
        retry_fetch_failures(drill.cluster.url, drill.token, drill.engine, accepted)
    statuses = wait_until_processed(drill.engine, accepted)
    assert len(statuses) == len(accepted), "accepted submissions are missing"
    stuck = [t for t, s in statuses.items() if s in ("submitted", "scanning", "matching")]
    if stuck:
        with drill.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT ticket_id, status, error_code, status_reason FROM submissions "
                    "WHERE ticket_id = ANY(:ids)"
                ),
                {"ids": stuck},
            ).all()
            jobs = conn.execute(
                text(
                    "SELECT job, status, attempts, last_error FROM outbox WHERE "
                    "status NOT IN ('done') ORDER BY id DESC LIMIT 10"
                )
            ).all()
        raise AssertionError(f"not processed: {rows[:5]} ... pending work: {jobs}")
    assert duplicates(drill.engine) == {
        "intake runs": 0,
        "open offers": 0,
        "notifications": 0,
        "submitted audits": 0,
    }


def test_redis_stopped_for_twenty_seconds_loses_nothing(drill):
    def fault() -> None:
        drill.redis.stop()
        time.sleep(20)
        drill.redis.start()

    check_outcome(drill, burst(drill.cluster.url, drill.token, BURST, fault))
    assert Redis.from_url(drill.redis.url).ping()


def test_a_worker_killed_mid_scan_loses_nothing(drill):
    check_outcome(
        drill, burst(drill.cluster.url, drill.token, BURST, lambda: drill.cluster.kill_worker(1))
    )


def test_restarting_one_web_server_loses_nothing(drill):
    check_outcome(
        drill, burst(drill.cluster.url, drill.token, BURST, lambda: drill.cluster.restart_web(1))
    )


def test_restarting_postgresql_loses_nothing(drill):
    check_outcome(drill, burst(drill.cluster.url, drill.token, BURST, drill.postgres.restart))


def test_clamd_stopped_delays_scanning_but_loses_nothing_and_releases_nothing_unscanned(drill):
    def fault() -> None:
        drill.clamd.stop()
        time.sleep(20)
        drill.clamd.start()

    check_outcome(drill, burst(drill.cluster.url, drill.token, BURST, fault))
    with drill.engine.connect() as conn:
        unscanned = conn.execute(
            text(
                "SELECT count(*) FROM submissions WHERE status IN ('offered', 'unmatched', "
                "'in_review') AND (scanned_at IS NULL OR scan_engine IS NULL)"
            )
        ).scalar_one()
    assert unscanned == 0


def test_github_answering_502_for_thirty_seconds_loses_nothing(drill):
    check_outcome(
        drill,
        burst(
            drill.cluster.url,
            drill.token,
            BURST,
            lambda: drill.forge.outage(30),
            fault_after=1,
            repo_url="https://github.com/octo/hello",
        ),
        retry_fetches=True,
    )
