"""Benchmark: choosing a reviewer among 1,000 / 10,000 / 100,000 profiles (PostgreSQL).

Seeds a dedicated database (``BENCH_DATABASE_URL``, default ``vetted_bench_matching``)
with reviewer profiles carrying realistic tag mixes (review areas, popular and rare languages,
frameworks that go with them, varied capacity, load, availability, ratings and time zones) by
``COPY``, then times ``find_candidates`` for 1,000 random tickets at each size. Prints p50/p99,
the growth from 1k to 100k, and the ``EXPLAIN ANALYZE`` of the candidate query at 100k.

    python bench/matching.py [--sizes 1000,10000,100000] [--tickets 1000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg2  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

import models  # noqa: E402
from matching.candidates import find_candidates  # noqa: E402
from matching.scoring import Weights  # noqa: E402
from models.crypto import Keyring, configure_keyring, generate_key  # noqa: E402
from models.db import configure_engine, get_engine, new_session  # noqa: E402
from models.tickets import Submission  # noqa: E402
from settings import Settings  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/vetted_bench_matching"
# (tag, weight): popular languages are common, rare ones rare — as on a real platform.
LANGUAGES = [
    ("python", 30), ("javascript", 28), ("typescript", 18), ("java", 14), ("go", 10),
    ("php", 7), ("ruby", 5), ("c#", 6), ("c++", 5), ("rust", 4), ("kotlin", 3),
    ("swift", 2), ("scala", 1), ("elixir", 1),
]  # fmt: skip
FRAMEWORKS = {
    "python": ["django", "flask", "fastapi"],
    "javascript": ["react", "node", "express", "vue"],
    "typescript": ["react", "angular", "nextjs"],
    "java": ["spring"],
    "php": ["laravel"],
    "ruby": ["rails"],
    "c#": ["dotnet"],
}
AREAS = [("security", 0.45), ("performance", 0.35), ("best-practices", 0.6)]
TIMEZONES = [
    "UTC", "Europe/London", "Europe/Berlin", "Europe/Warsaw", "America/New_York",
    "America/Chicago", "America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata",
    "Asia/Tokyo", "Asia/Singapore", "Australia/Sydney", "Africa/Lagos",
]  # fmt: skip


def pick_languages(rng: random.Random, k: int) -> list[str]:
    names, weights = zip(*LANGUAGES, strict=True)
    chosen: list[str] = []
    while len(chosen) < k:
        lang = rng.choices(names, weights)[0]
        if lang not in chosen:
            chosen.append(lang)
    return chosen


def reviewer_tags(rng: random.Random) -> list[str]:
    areas = [a for a, p in AREAS if rng.random() < p] or [rng.choice(AREAS)[0]]
    languages = pick_languages(rng, rng.choice([1, 1, 2, 2, 3]))
    frameworks = [
        fw for lang in languages for fw in FRAMEWORKS.get(lang, []) if rng.random() < 0.35
    ]
    return sorted(set(areas + languages + frameworks))


def ensure_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    conn = psycopg2.connect(f"{base}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def seed(url: str, size: int, rng: random.Random) -> None:
    """Replace every user and profile with ``size`` reviewers, written by COPY."""
    now = datetime.now(UTC)
    users, profiles = io.StringIO(), io.StringIO()
    for i in range(1, size + 1):
        stamp = (now - timedelta(days=rng.randint(30, 900))).isoformat()
        users.write(
            f'{i}\treviewer{i}@bench.example\tReviewer {i}\t["reviewer"]\tt\t0\t{stamp}\t{stamp}\n'
        )
        capacity = rng.choice([1, 2, 3, 3, 4, 5])
        open_reviews = rng.randint(0, capacity)  # some are full
        count = rng.choice([0, 0, 1, 3, 8, 20, 60])
        avg = rng.uniform(3.0, 5.0)
        away = (
            (now + timedelta(days=rng.randint(1, 20))).isoformat() if rng.random() < 0.05 else "\\N"
        )
        last = (now - timedelta(hours=rng.uniform(0, 24 * 30))).isoformat()
        start = rng.choice([7, 8, 9, 10, 22])
        turnaround = f"{rng.uniform(2, 96):.1f}" if count else "\\N"
        tags_json = json.dumps(reviewer_tags(rng))
        profiles.write(
            "\t".join(
                [
                    str(i),
                    str(i),
                    f"reviewer-{i}",
                    "",
                    tags_json,
                    tags_json,
                    rng.choice(TIMEZONES),
                    str(start),
                    str((start + 8) % 24),
                    str(capacity),
                    "t" if rng.random() < 0.92 else "f",
                    away,
                    str(open_reviews),
                    "0",
                    str(count),
                    str(round(avg * count)),
                    str(count),
                    f"{avg if count else 0:.3f}",
                    turnaround,
                    last,
                    "t",
                    stamp,
                    stamp,
                ]
            )  # fmt: skip
            + "\n"
        )
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("TRUNCATE users, reviewer_profiles, offers RESTART IDENTITY CASCADE")
        users.seek(0)
        cur.copy_expert(
            "COPY users (id, email, name, roles, is_active, session_epoch, created_at,"
            " updated_at) FROM STDIN",
            users,
        )
        # verified_tags = expertise: the bench seeds reviewers already verified.
        profiles.seek(0)
        cur.copy_expert(
            "COPY reviewer_profiles (id, user_id, handle, bio, expertise, verified_tags, timezone,"
            " work_start_hour, work_end_hour, capacity, available, away_until, open_reviews,"
            " pending_offers, completed_reviews, rating_sum, rating_count, rating_avg,"
            " median_turnaround_hours, last_offered_at, is_public, created_at, updated_at)"
            " FROM STDIN",
            profiles,
        )
        cur.execute("SELECT setval('users_id_seq', %s)", (size + 1,))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE users")
        cur.execute("VACUUM ANALYZE reviewer_profiles")
    conn.close()


def churn(url: str) -> None:
    """Offers since the last VACUUM: a tenth of the profiles updated, pages not all-visible."""
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE reviewer_profiles SET last_offered_at = now() - random() * interval '30 days'"
            " WHERE id % 10 = 0"
        )
    conn.close()


def random_ticket(rng: random.Random, i: int, owners: int) -> Submission:
    types = rng.sample(["security", "performance", "best-practices"], rng.choice([1, 1, 2]))
    languages = pick_languages(rng, rng.choice([0, 1, 1, 2]))
    frameworks = [fw for lang in languages for fw in FRAMEWORKS.get(lang, []) if rng.random() < 0.3]
    return Submission(
        id=10_000_000 + i,
        owner_id=rng.randint(1, owners),
        source="upload",
        review_types=types,
        languages=languages,
        frameworks=frameworks[:1],
    )


def time_choices(size: int, tickets: int, weights: Weights, rng: random.Random) -> list[float]:
    session = new_session()
    timings = []
    try:
        for i in range(tickets):
            ticket = random_ticket(rng, i, size)
            started = time.perf_counter()
            find_candidates(session, ticket, weights, limit=1)
            timings.append((time.perf_counter() - started) * 1000)
            session.rollback()
    finally:
        session.close()
    return timings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def explain(weights: Weights) -> str:
    """Capture the statements ``find_candidates`` really sends, then EXPLAIN ANALYZE them."""
    ticket = Submission(
        id=99_999_999,
        owner_id=1,
        source="upload",
        review_types=["security"],
        languages=["python"],
        frameworks=["django"],
    )
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "reviewer_profiles" in statement:
            captured.append((statement, parameters))

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", capture)
    session = new_session()
    try:
        find_candidates(session, ticket, weights, limit=1)
        cursor = session.connection().connection.cursor()
        plans = []
        for step, (statement, parameters) in enumerate(captured, 1):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plans.append(f"-- statement {step} of {len(captured)}")
            plans.extend(row[0] for row in cursor.fetchall())
        return "\n".join(plans)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
        session.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--tickets", type=int, default=1000)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    sizes = [int(s) for s in args.sizes.split(",")]
    configure_keyring(Keyring.from_setting(f"b1:{generate_key()}"))
    ensure_database(url)
    engine = configure_engine(url)
    models.Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    models.Base.metadata.create_all(engine)
    weights = Weights.from_settings(Settings())
    results: dict[int, tuple[float, float]] = {}
    print(f"choosing a reviewer for {args.tickets} random tickets (find_candidates, limit=1)")
    for size in sizes:
        rng = random.Random(size)
        t0 = time.perf_counter()
        seed(url, size, rng)
        seeded = time.perf_counter() - t0
        time_choices(size, 50, weights, random.Random(1))  # warm the cache and the pool
        timings = time_choices(size, args.tickets, weights, random.Random(2))
        p50, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
        results[size] = (p50, p99)
        print(
            f"{size:>7} reviewers: seeded in {seeded:5.1f}s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
            f"  mean {statistics.mean(timings):6.2f} ms  max {max(timings):6.2f} ms"
        )
    churn(url)
    timings = time_choices(sizes[-1], args.tickets, weights, random.Random(2))
    print(
        f"{sizes[-1]:>7} reviewers, 10% updated since the last VACUUM (index-only scan needs heap"
        f" visits): p50 {percentile(timings, 0.5):6.2f} ms  p99 {percentile(timings, 0.99):6.2f} ms"
    )
    first, last = sizes[0], sizes[-1]
    if first != last:
        print(
            f"growth {first} -> {last}: p50 x{results[last][0] / results[first][0]:.2f}, "
            f"p99 x{results[last][1] / results[first][1]:.2f}"
        )
    print(f"\nEXPLAIN ANALYZE of the candidate query at {last} reviewers:")
    print(explain(weights))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
