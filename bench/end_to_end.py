"""End to end: 1,000 small submissions through the balancer until each is offered to a reviewer.

Runs the real cluster (nginx, two gunicorn servers, two workers) on a private PostgreSQL and
Redis with a real clamd, and prints:
- submissions accepted per second, and tickets reaching ``offered`` per second;
- the scanning step's throughput inside Vetted next to raw clamd INSTREAM on the same files
  (the floor: what clamd alone does), and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from models.db import normalise_url  # noqa: E402
from tests.drills.burst import small_archive, submit  # noqa: E402
from tests.support.clamd import Clamd  # noqa: E402
from tests.support.cluster import Cluster, PrivatePostgres, RedisServer  # noqa: E402


def raw_clamd_rate(url: str, archives: list[bytes]) -> float:
    """Files per second clamd INSTREAM scans on its own, from 2 threads like the 2 workers."""
    import pyclamd

    host, port = url.removeprefix("tcp://").split(":")

    def scan(data: bytes) -> None:
        pyclamd.ClamdNetworkSocket(host, int(port)).scan_stream(data)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(scan, archives))
    return len(archives) / (time.perf_counter() - started)


def wait_offered(engine, ticket_ids: list[str], timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            done = conn.execute(
                text(
                    "SELECT count(*) FROM submissions WHERE ticket_id = ANY(:ids) "
                    "AND status IN ('offered', 'unmatched', 'rejected')"
                ),
                {"ids": ticket_ids},
            ).scalar_one()
        if done == len(ticket_ids):
            return time.monotonic()
        time.sleep(0.5)
    raise SystemExit(f"only {done} of {len(ticket_ids)} tickets were processed in {timeout}s")


def scanning_rate(engine, ticket_ids: list[str]) -> tuple[float, float]:
    """Tickets per second through the scanning step, and the median seconds one spent there."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.at, s.scanned_at FROM submissions s JOIN audit_events a "
                "ON a.object_id = s.ticket_id AND a.action = 'ticket.scanning' "
                "WHERE s.ticket_id = ANY(:ids) AND s.scanned_at IS NOT NULL"
            ),
            {"ids": ticket_ids},
        ).all()
    starts, ends = [r[0] for r in rows], [r[1] for r in rows]
    span = (max(ends) - min(starts)).total_seconds()
    each = statistics.median((e - s).total_seconds() for s, e in rows)
    return len(rows) / span, each


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    archives = [small_archive(n) for n in range(args.count)]
    work = Path(tempfile.mkdtemp(prefix="vetted-e2e-"))
    postgres, redis, clamd = PrivatePostgres(), RedisServer(work), Clamd(work / "clamd")
    (work / "clamd").mkdir()
    postgres.start()
    redis.start()
    clamd.start()
    reviewers = max(1, args.count // 20)
    cluster = Cluster(work, postgres.url, redis.url, {"CLAMD_URL": clamd.url})
    try:
        cluster.start()
        from tests.drills.conftest import DrillCluster

        drill = DrillCluster(postgres, redis, cluster)
        drill.flask("user", "create", "e2e@example.com", "--password", "bench password 123")
        token = drill.flask("token", "create", "e2e@example.com").strip()
        for n in range(reviewers):
            drill.flask(
                "reviewer",
                "create",
                f"rev{n}@example.com",
                "--tags",
                "security,python",
                "--capacity",
                "25",
            )
        engine = create_engine(normalise_url(postgres.url))

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda n: submit(cluster.url, token, n), range(args.count)))
        accepted_at = time.monotonic()
        ids = [a.ticket_id for a in answers if a.status == 201]
        finished = wait_offered(engine, ids, timeout=1800)
        scan_rate, scan_each = scanning_rate(engine, ids)
        raw_rate = raw_clamd_rate(clamd.url, archives)

        print(
            f"submissions            {args.count} accepted {len(ids)} "
            f"({len(ids) / (accepted_at - started):.1f}/s through nginx)"
        )
        print(
            f"to offered             {len(ids) / (finished - started):8.1f} tickets/s "
            f"({finished - started:.1f} s end to end)"
        )
        print(f"scanning step          {scan_rate:8.1f} tickets/s (median {scan_each:.2f} s each)")
        print(f"raw clamd INSTREAM     {raw_rate:8.1f} files/s (floor, 2 threads)")
        print(f"ratio scanning/raw     {scan_rate / raw_rate:8.2f}")
        engine.dispose()
        drill.engine.dispose()
    finally:
        cluster.stop()
        clamd.stop()
        redis.stop()
        postgres.stop()
        postgres.remove()


if __name__ == "__main__":
    main()
