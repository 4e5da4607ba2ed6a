"""Fault drills: during a burst of submissions through the balancer, break something.

Each drill ends with every accepted submission present and processed exactly once (no
duplicate intake runs, offers, notifications, audit entries or PR comments), and every refused
request answered with a clear JSON error: a 4xx, or the friendly 503 while a dependency is
down — never a 500, 502 or 504.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import text

from tests.drills.burst import (
    burst,
    duplicates,
    label_pull_request,
    offered,
    pull_request_tickets,
    retry_fetch_failures,
    wait_until_bot_idle,
    wait_until_fetched_or_given_up,
    wait_until_processed,
)
from tests.drills.conftest import (
    BURST,
    DRILL_TIMEOUT,
    FIGURES,
    PROCESSING_DEADLINE,
    DrillCluster,
    Figures,
)

# All six run in `make drills` (DRILL_BURST=300); those marked fast_drill, which take seconds
# rather than minutes at a small burst (the cluster starts once for them), also in `make test`.
pytestmark = [pytest.mark.drill, pytest.mark.timeout(DRILL_TIMEOUT)]
# Each drill submits code in its own language to its own reviewer, who can take about a third
# of the burst: some tickets are offered (so offers are checked), the rest rest unmatched.
CAPACITY = max(1, min(50, BURST // 3))
# Pull requests labelled during the GitHub outage, besides the burst of repository URLs.
PULL_REQUESTS = max(3, BURST // 10)


def run_drill(
    drill: DrillCluster,
    name: str,
    language: str,
    fault: Callable[[], None],
    retry_fetches: bool = False,
    **burst_args: Any,
) -> Figures:
    """Burst, break, wait, and check the outcome; the figures are kept for the summary."""
    figures = Figures(name)
    FIGURES.append(figures)
    started = time.monotonic()
    drill.reviewer(f"reviewer-{language}@example.com", language, CAPACITY)
    answers = burst(drill.cluster.url, drill.token, BURST, fault, language=language, **burst_args)
    accepted = [a.ticket_id for a in answers if a.status == 201]
    refused = [a for a in answers if a.status != 201]
    figures.accepted = len(accepted)
    figures.refused = dict(Counter(a.status for a in refused))
    for answer in refused:
        assert 400 <= answer.status < 500 or answer.status == 503, answer
        assert answer.error and answer.error.get("message"), answer
    assert [a for a in refused if a.after_fault] == [], "refused after the fault was over"
    if retry_fetches:
        # A fetch that gave up rests in `submitted` with a retry button; the developer presses it.
        wait_until_fetched_or_given_up(drill.engine, accepted, PROCESSING_DEADLINE)
        figures.retried = retry_fetch_failures(
            drill.cluster.url, drill.token, drill.engine, accepted
        )
    statuses = wait_until_processed(drill.engine, accepted, PROCESSING_DEADLINE)
    figures.processed = sum(1 for s in statuses.values() if s not in BUSY)
    figures.seconds = time.monotonic() - started
    assert len(statuses) == len(accepted), "accepted submissions are missing"
    stuck = [t for t, s in statuses.items() if s in BUSY]
    if stuck:
        raise AssertionError(f"not processed: {describe_stuck(drill, stuck)}")
    assert duplicates(drill.engine) == NO_DUPLICATES
    figures.offered = offered(drill.engine, accepted)
    assert figures.offered == min(CAPACITY, len(accepted)), "the drill's reviewer was not filled"
    return figures


BUSY = ("submitted", "scanning", "matching")
NO_DUPLICATES = {
    "intake runs": 0,
    "offers": 0,
    "offered tickets without exactly one open offer": 0,
    "reviewer pending-offer counts": 0,
    "notifications": 0,
    "submitted audits": 0,
}


def describe_stuck(drill: DrillCluster, stuck: list[str]) -> str:
    """A few stuck tickets with their errors, and the outbox work still pending."""
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
    return f"{len(stuck)} tickets, e.g. {rows[:5]} ... pending work: {jobs}"


@pytest.mark.fast_drill
def test_redis_stopped_for_twenty_seconds_loses_nothing(drill: DrillCluster) -> None:
    def fault() -> None:
        drill.redis.stop()
        time.sleep(20)
        drill.redis.start()

    run_drill(drill, "redis stopped 20 s", "go", fault)
    assert Redis.from_url(drill.redis.url).ping()


@pytest.mark.fast_drill
def test_a_worker_killed_mid_scan_loses_nothing(drill: DrillCluster) -> None:
    run_drill(drill, "worker kill -9", "rust", lambda: drill.cluster.kill_worker(1))


@pytest.mark.fast_drill
def test_restarting_one_web_server_loses_nothing(drill: DrillCluster) -> None:
    run_drill(drill, "web server restart", "java", lambda: drill.cluster.restart_web(1))


@pytest.mark.fast_drill
def test_restarting_postgresql_loses_nothing(drill: DrillCluster) -> None:
    run_drill(drill, "PostgreSQL restart", "ruby", drill.postgres.restart)


def test_clamd_stopped_delays_scanning_but_loses_nothing_and_releases_nothing_unscanned(
    drill: DrillCluster,
) -> None:
    def fault() -> None:
        drill.clamd.stop()
        time.sleep(20)
        drill.clamd.start()

    run_drill(drill, "clamd stopped 20 s", "php", fault)
    with drill.engine.connect() as conn:
        unscanned = conn.execute(
            text(
                "SELECT count(*) FROM submissions WHERE status IN ('offered', 'unmatched', "
                "'in_review') AND (scanned_at IS NULL OR scan_engine IS NULL)"
            )
        ).scalar_one()
    assert unscanned == 0


def test_github_answering_502_for_thirty_seconds_loses_nothing_and_comments_once(
    drill: DrillCluster,
) -> None:
    """Repository URLs are submitted and pull requests labelled while GitHub answers 502: each
    PR gets one ticket, and each thing the bot says on a PR is said there once."""
    repo, numbers = "octo/labelled", list(range(1, PULL_REQUESTS + 1))
    deliveries: list[int] = []

    def fault() -> None:
        drill.forge.outage(30)
        # Performance reviews: nobody in the drills reviews those, so these tickets rest
        # unmatched and leave the python reviewer to the burst.
        deliveries.extend(
            label_pull_request(drill.cluster.url, repo, n, "performance") for n in numbers
        )

    run_drill(
        drill,
        "GitHub 502 for 30 s",
        "python",
        fault,
        retry_fetches=True,
        fault_after=1,
        repo_url="https://github.com/octo/hello",
    )
    assert deliveries == [202] * len(numbers)
    tickets = pull_request_tickets(drill.engine, repo)
    assert {n: len(ids) for n, ids in tickets.items()} == dict.fromkeys(numbers, 1)
    statuses = wait_until_processed(drill.engine, [t for [t] in tickets.values()], 60)
    assert set(statuses.values()) == {"unmatched"}, statuses
    assert wait_until_bot_idle(drill.engine, PROCESSING_DEADLINE) == 0, "PR work still waiting"
    said = Counter((n, body) for r, n, body in drill.forge.comments if r == repo)
    assert {n for n, _ in said} == set(numbers), "a labelled PR was never answered"
    assert [(n, body[:60], times) for (n, body), times in said.items() if times > 1] == []
    assert duplicates(drill.engine) == NO_DUPLICATES  # the PR tickets' own work, now it is done
