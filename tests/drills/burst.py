"""Submitting a burst of small archives through the balancer, and checking nothing was lost."""

from __future__ import annotations

import copy
import io
import json
import threading
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.support.forge_payloads import github_headers, github_payload
from tests.support.intake_forges import SHA

RESTING = ("unmatched", "offered", "in_review", "rejected", "completed", "cancelled")


@dataclass
class Answer:
    status: int
    ticket_id: str | None
    error: dict | None
    after_fault: bool = False


# File extension of the one source file in a drill's archives, by language.
EXTENSIONS = {"python": "py", "go": "go", "rust": "rs", "java": "java", "ruby": "rb", "php": "php"}


def small_archive(n: int, language: str = "python") -> bytes:
    """A two-file archive whose only source file is in ``language``.

    Each drill uses its own language and its own reviewer verified for it, so the drill's
    tickets are offered to that reviewer and not to one left over from an earlier drill.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"src/handler_{n}.{EXTENSIONS[language]}", f"// handler {n}\n")
        archive.writestr("README.md", f"drill submission {n}\n")
    return buffer.getvalue()


def submit(
    base_url: str, token: str, n: int, repo_url: str | None = None, language: str = "python"
) -> Answer:
    """One submission: an archive, or (``repo_url``) a repository to fetch from the forge."""
    if repo_url:
        payload = {
            "json": {
                "repo_url": repo_url,
                "review_types": ["security"],
                "description": f"drill {n}",
            }
        }
    else:
        payload = {
            "files": {"archive": (f"code-{n}.zip", small_archive(n, language), "application/zip")},
            "data": {"review_types": "security", "description": f"drill {n}"},
        }
    for _ in range(30):  # a client retries a refused connection, as a browser or SDK would
        try:
            response = requests.post(
                f"{base_url}/api/v1/submissions",
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
                **payload,
            )
            break
        except requests.ConnectionError:
            time.sleep(1)
    else:
        return Answer(0, None, {"code": "unreachable"})
    body = (
        response.json()
        if response.headers.get("Content-Type", "").startswith("application/json")
        else {}
    )
    if response.status_code == 201:
        return Answer(201, body["ticket_id"], None)
    return Answer(response.status_code, None, body.get("error"))


def burst(
    base_url: str,
    token: str,
    count: int,
    fault: Callable[[], None],
    fault_after: int | None = None,
    repo_url: str | None = None,
    language: str = "python",
) -> list[Answer]:
    """Submit ``count`` archives from 8 threads; run ``fault`` once a third have been sent.

    The last third waits until ``fault`` has returned (the dependency is back, or the outage
    has been set going), so every burst has submissions before, during and after the fault
    however short the burst: at a small burst all of it would otherwise fall inside a
    PostgreSQL restart and be refused. Those answers are marked ``after_fault``.
    """
    fault_after = count // 3 if fault_after is None else fault_after
    last_third = count - count // 3
    sent = 0
    lock = threading.Lock()
    fault_over = threading.Event()

    def run_fault() -> None:
        try:
            fault()
        finally:
            fault_over.set()

    fault_thread = threading.Thread(target=run_fault, daemon=True)

    def one(n: int) -> Answer:
        nonlocal sent
        with lock:
            sent += 1
            if sent == fault_after:
                fault_thread.start()
        if n >= last_third:
            fault_over.wait(300)
        answer = submit(base_url, token, n, repo_url, language)
        answer.after_fault = n >= last_third
        return answer

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(one, range(count)))
    fault_thread.join(120)
    return answers


def retry_fetch_failures(base_url: str, token: str, engine: Engine, ticket_ids: list[str]) -> int:
    """Press the developer's one-click retry on every ticket whose fetch gave up."""
    with engine.connect() as conn:
        failed = (
            conn.execute(
                text(
                    "SELECT ticket_id FROM submissions WHERE ticket_id = ANY(:ids) "
                    "AND status = 'submitted' AND error_code = 'fetch_failed'"
                ),
                {"ids": ticket_ids},
            )
            .scalars()
            .all()
        )
    for ticket_id in failed:
        response = requests.post(
            f"{base_url}/api/v1/tickets/{ticket_id}/retry",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code in (200, 202), response.text
    return len(failed)


def _wait_until_none(engine: Engine, count_sql: str, params: dict, timeout: float) -> int:
    """Poll ``count_sql`` once a second until it counts nothing; returns the last count."""
    deadline = time.monotonic() + timeout
    left = -1
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            left = conn.execute(text(count_sql), params).scalar_one()
        if left == 0:
            return 0
        time.sleep(1)
    return left


def wait_until_fetched_or_given_up(engine: Engine, ticket_ids: list[str], timeout: float) -> None:
    """Poll until every ticket rests or its fetch gave up (``submitted`` + ``fetch_failed``)."""
    _wait_until_none(
        engine,
        "SELECT count(*) FROM submissions WHERE ticket_id = ANY(:ids) AND "
        "status IN ('submitted', 'scanning', 'matching') AND "
        "NOT (status = 'submitted' AND error_code = 'fetch_failed')",
        {"ids": ticket_ids},
        timeout,
    )


def wait_until_processed(engine: Engine, ticket_ids: list[str], timeout: float) -> dict:
    """Poll until every ticket rests (processed); returns {ticket_id: status}."""
    deadline = time.monotonic() + timeout
    statuses: dict[str, str] = {}
    while time.monotonic() < deadline:
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT ticket_id, status FROM submissions WHERE ticket_id = ANY(:ids)"),
                    {"ids": ticket_ids},
                ).all()
            statuses = dict(rows)
            if len(statuses) == len(ticket_ids) and all(s in RESTING for s in statuses.values()):
                return statuses
        except Exception:  # noqa: S110 - the database may be the thing being restarted
            pass
        time.sleep(1)
    return statuses


def duplicates(engine: Engine) -> dict[str, int]:
    """Work that must happen once per ticket, counted: anything above zero is a duplicate.

    Nobody declines or lets an offer lapse during a drill, so a ticket offered twice (in any
    status) was offered in duplicate, and a reviewer's pending-offer count that disagrees with
    their open offers was bumped twice (or not at all) by a repeated matching job. Notifications
    are counted per ticket (those about no ticket, like a reviewer's verification, are not).
    """
    checks = {
        "intake runs": "SELECT count(*) FROM (SELECT kwargs->>'ticket_id' FROM outbox "
        "WHERE job = 'intake.jobs.process_submission' AND status = 'done' GROUP BY 1 "
        "HAVING count(*) > 1) d",
        "offers": "SELECT count(*) FROM (SELECT submission_id FROM offers "
        "GROUP BY 1 HAVING count(*) > 1) d",
        "offered tickets without exactly one open offer": "SELECT count(*) FROM submissions s "
        "WHERE s.status = 'offered' AND (SELECT count(*) FROM offers o WHERE "
        "o.submission_id = s.id AND o.status = 'offered') <> 1",
        "reviewer pending-offer counts": "SELECT count(*) FROM reviewer_profiles p WHERE "
        "p.pending_offers <> (SELECT count(*) FROM offers o WHERE o.reviewer_id = p.user_id "
        "AND o.status = 'offered')",
        "notifications": "SELECT count(*) FROM (SELECT user_id, event, submission_id FROM "
        "notifications WHERE submission_id IS NOT NULL GROUP BY 1, 2, 3 HAVING count(*) > 1) d",
        "submitted audits": "SELECT count(*) FROM (SELECT object_id FROM audit_events WHERE "
        "action = 'ticket.submitted' GROUP BY 1 HAVING count(*) > 1) d",
    }
    found = {}
    with engine.connect() as conn:
        for name, sql in checks.items():
            found[name] = conn.execute(text(sql)).scalar_one()
    return found


def offered(engine: Engine, ticket_ids: list[str]) -> int:
    """How many of these tickets were offered to a reviewer (so the offer checks had work)."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(DISTINCT o.submission_id) FROM offers o JOIN submissions s "
                "ON s.id = o.submission_id WHERE s.ticket_id = ANY(:ids)"
            ),
            {"ids": ticket_ids},
        ).scalar_one()


def label_pull_request(base_url: str, repo: str, number: int, review_type: str) -> int:
    """GitHub telling Vetted (through the balancer) that PR ``number`` got ``vetted:<type>``."""
    payload = copy.deepcopy(github_payload("pull_request/labeled.payload.json"))
    payload["number"] = payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = SHA
    payload["label"]["name"] = f"vetted:{review_type}"
    payload["repository"]["full_name"] = repo
    body = json.dumps(payload).encode()
    response = requests.post(
        f"{base_url}/webhooks/github",
        data=body,
        headers=github_headers("pull_request", body),
        timeout=30,
    )
    return response.status_code


def pull_request_tickets(engine: Engine, repo: str) -> dict[int, list[str]]:
    """The tickets opened for each PR of ``repo``: {PR number: [ticket ids]}."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT pr_number, ticket_id FROM submissions WHERE repo_full_name = :repo "
                "ORDER BY id"
            ),
            {"repo": repo},
        ).all()
    found: dict[int, list[str]] = {}
    for number, ticket_id in rows:
        found.setdefault(number, []).append(ticket_id)
    return found


def wait_until_bot_idle(engine: Engine, timeout: float) -> int:
    """Poll until no bot work (PR comments, checks) is waiting; returns how much still is."""
    return _wait_until_none(
        engine,
        "SELECT count(*) FROM outbox WHERE job LIKE 'bot.%' "
        "AND status IN ('pending', 'enqueued', 'running')",
        {},
        timeout,
    )
