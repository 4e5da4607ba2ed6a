"""Benchmark: the code viewer and the developer dashboard, against their floors.

Renders the viewer page for a 5,000-line file carrying 200 comments and the developer
dashboard with 10,000 tickets in PostgreSQL, through the real app (test client, no network),
and prints the median server time of each next to rendering the same file with Pygments alone.
Aims: viewer within 2x of the Pygments floor; dashboard under 100 ms.

    PYTHONPATH=. python bench/viewer.py [--runs 15] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pygments import highlight  # noqa: E402
from pygments.formatters import HtmlFormatter  # noqa: E402
from pygments.lexers import PythonLexer  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

import models  # noqa: E402
from app import create_app  # noqa: E402
from intake.code import store_tree_for_ticket  # noqa: E402
from models.base import utcnow  # noqa: E402
from models.crypto import generate_key  # noqa: E402
from models.db import configure_engine, new_session  # noqa: E402
from models.tickets import Submission, new_ticket_id  # noqa: E402
from reviews import comments  # noqa: E402
from settings import activate  # noqa: E402
from tests.support.factories import make_ticket, make_user  # noqa: E402
from tests.support.services import postgres_available  # noqa: E402
from tests.support.workspace import advance_to_review, make_reviewer  # noqa: E402

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/vetted_bench_viewer"
LINES = 5_000
COMMENTS = 200
TICKETS = 10_000
STATUSES = ["submitted", "scanning", "matching", "offered", "in_review", "completed",
            "rejected", "unmatched"]  # fmt: skip


def source_file(lines: int) -> str:
    """Plausible Python: functions, docstrings, strings, arithmetic, comments."""
    out: list[str] = []
    n = 0
    while len(out) < lines:
        out += [
            f"def handler_{n}(request, limit={n % 17}):",
            f'    """Handle request {n}: look things up and answer."""',
            f"    items = [x * {n % 7} for x in range(limit) if x % 3]  # filter",
            f'    name = request.args.get("name", "user-{n}")',
            "    if not items:",
            '        raise ValueError(f"nothing for {name!r}")',
            "    return {'name': name, 'total': sum(items) / len(items)}",
            "",
        ]
        n += 1
    return "\n".join(out[:lines]) + "\n"


def interleaved_medians(fns: list, runs: int) -> list[float]:  # type: ignore[type-arg]
    """Time each function once per round, round after round, so all share the same noise."""
    for fn in fns:
        fn()  # warm up
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            times[i].append((time.perf_counter() - start) * 1000)
    return [statistics.median(t) for t in times]


def prepare(database_url: str, workdir: Path):  # type: ignore[no-untyped-def]
    problem = postgres_available(database_url)
    if problem:
        sys.exit(f"PostgreSQL needed: {problem}")
    app = create_app(
        {
            "testing": True, "env": "test", "database_url": database_url,
            "var_dir": workdir / "var", "storage_dir": workdir / "var" / "storage",
            "mail_dir": workdir / "var" / "mail", "encryption_keys": f"b1:{generate_key()}",
            "secret_key": "bench", "embedded_worker": False, "redis_url": "",
            "rate_limits_enabled": False,
        }
    )  # fmt: skip
    engine = configure_engine(database_url)
    models.Base.metadata.drop_all(engine)
    models.Base.metadata.create_all(engine)
    activate(app.config["SETTINGS"])
    code = source_file(LINES)
    with app.app_context():
        session = new_session()
        owner = make_user(session, "dev@bench.example")
        reviewer = make_reviewer(session, "rev@bench.example", "bench")
        ticket = make_ticket(session, owner)
        tree = workdir / "code"
        (tree / "src").mkdir(parents=True)
        (tree / "src" / "big.py").write_text(code)
        store_tree_for_ticket(session, ticket, tree)
        advance_to_review(session, ticket, reviewer)
        rng = random.Random(7)
        for i in range(COMMENTS):
            start = rng.randint(1, LINES - 3)
            comments.add_comment(
                session, ticket, reviewer, path="src/big.py", line_start=start,
                line_end=start + rng.randint(0, 2), body=f"Comment {i}: consider **this** `x`.",
                category=rng.choice(models.reviews.COMMENT_CATEGORIES),
                severity=rng.choice(models.reviews.SEVERITIES),
                suggestion="    return None" if i % 4 == 0 else None,
                count_lines=lambda _t, _p: LINES,
            )  # fmt: skip
        now = utcnow()
        rows = [
            {
                "ticket_id": new_ticket_id(), "owner_id": owner.id, "source": "upload",
                "status": STATUSES[i % len(STATUSES)], "review_types": ["security"],
                "created_at": now - timedelta(minutes=i), "updated_at": now,
                "submitted_at": now - timedelta(minutes=i),
                "status_changed_at": now - timedelta(minutes=i),
            }
            for i in range(TICKETS - 1)
        ]  # fmt: skip
        session.execute(insert(Submission), rows)
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
        ids = (owner.id, owner.session_epoch, reviewer.id, reviewer.session_epoch, ticket.ticket_id)
        session.close()
    return app, code, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url", default=DEFAULT_DB)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vetted-bench-") as tmp:
        app, code, (owner_id, owner_epoch, rev_id, rev_epoch, tid) = prepare(
            args.database_url, Path(tmp)
        )
        reviewer, developer = app.test_client(), app.test_client()
        for client, uid, epoch in (
            (reviewer, rev_id, rev_epoch),
            (developer, owner_id, owner_epoch),
        ):
            with client.session_transaction() as sess:
                sess["uid"], sess["epoch"] = uid, epoch

        def viewer() -> None:
            response = reviewer.get(f"/tickets/{tid}/code?path=src/big.py")
            assert (
                response.status_code == 200 and response.text.count('class="vt-thread ') == COMMENTS
            )

        def dashboard() -> None:
            response = developer.get("/dashboard")
            assert response.status_code == 200 and "Page 1 of" in response.text

        def pygments_only() -> None:
            highlight(code, PythonLexer(), HtmlFormatter())

        floor, view, dash = interleaved_medians([pygments_only, viewer, dashboard], args.runs)
    print(f"runs per figure: {args.runs} (median)")
    print(f"pygments alone, {LINES:,}-line file:           {floor:8.1f} ms  (floor)")
    print(f"viewer page, {LINES:,} lines + {COMMENTS} comments:  {view:8.1f} ms  "
          f"({view / floor:.2f}x the floor; aim <= 2x)")  # fmt: skip
    print(f"developer dashboard, {TICKETS:,} tickets:      {dash:8.1f} ms  (aim < 100 ms)")


if __name__ == "__main__":
    main()
