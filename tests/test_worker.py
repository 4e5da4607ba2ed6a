"""worker: the rq worker process runs outbox work end to end, and stops without losing or
doubling a job: SIGTERM finishes the job in hand, a second SIGTERM hands it back at once, and a
SIGKILL's job is handed on by the sweeper."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis

from jobs.outbox import enqueue
from models.outbox import Outbox
from tests.conftest import TEST_KEYS
from tests.support import jobs as test_jobs
from tests.support.services import RedisServer

ROOT = Path(__file__).resolve().parent.parent


def count_runs_rows(session) -> list[Outbox]:
    session.expire_all()
    return session.query(Outbox).filter(Outbox.job == "tests.support.jobs.count_runs").all()


def test_the_worker_process_dispatches_and_runs_outbox_rows(session, clean_db, redis_url, tmp_path):
    for n in range(3):
        enqueue(session, test_jobs.count_runs, tag=f"w{n}")
    session.commit()
    log = tmp_path / "worker.log"
    worker = _start_worker(_worker_env(clean_db, redis_url, tmp_path), log)
    try:
        wait_for(lambda: all(r.status == "done" for r in count_runs_rows(session)), 30)
    finally:
        _stop(worker)
    assert [r.status for r in count_runs_rows(session)] == ["done"] * 3, log.read_text()
    assert all(test_jobs.runs(session, f"w{n}") == 1 for n in range(3))


# --- stopping: SIGTERM lets the job in hand finish; a job cut short is handed back, not lost ---

GRACEFUL_WINDOW = 60  # generous stand-in for systemd's TimeoutStopSec; the job takes seconds


def _worker_env(database_url: str, redis_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ENCRYPTION_KEYS": TEST_KEYS,
        "SECRET_KEY": "x",
        "VAR_DIR": str(tmp_path),
        "DISPATCH_INTERVAL_SECONDS": "0.2",
        **extra,
    }


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The real ``worker.py`` (output to a file: a full pipe would stall it)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=out, stderr=out
        )


def _stop(worker: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then wait for the exit (killed if it outlives the graceful window)."""
    worker.terminate()
    try:
        return worker.wait(GRACEFUL_WINDOW)
    except subprocess.TimeoutExpired:
        worker.kill()
        return worker.wait(10)


def wait_for(condition, timeout: float = 30) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _wait_until(check, timeout: float, what: str, log: Path) -> None:  # type: ignore[no-untyped-def]
    if not wait_for(check, timeout):
        raise AssertionError(f"{what} did not happen within {timeout} s\n{log.read_text()}")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _slow_row(session, tag: str, seconds: float) -> Outbox:  # type: ignore[no-untyped-def]
    row = enqueue(session, test_jobs.slow_count, tag=tag, seconds=seconds)
    session.commit()
    return row


def _started(session, tag: str, times: int = 1):  # type: ignore[no-untyped-def]
    def check() -> bool:
        session.expire_all()
        return test_jobs.starts(session, tag) >= times

    return check


def test_sigterm_lets_the_running_job_finish_then_everything_stops(
    session, clean_db, redis_url, tmp_path
):
    row = _slow_row(session, "warm", seconds=3)
    log = tmp_path / "worker.log"
    worker = _start_worker(_worker_env(clean_db, redis_url, tmp_path), log)
    try:
        _wait_until(_started(session, "warm"), 60, "the job starting", log)
        helpers = child_processes(worker.pid)  # none expected: rq's scheduler is a thread
        code = _stop(worker)
    finally:
        if worker.poll() is None:
            worker.kill()
    output = log.read_text()
    assert code == 0, output
    session.expire_all()
    assert session.get(Outbox, row.id).status == "done", output
    assert (test_jobs.starts(session, "warm"), test_jobs.runs(session, "warm")) == (1, 1)
    assert "dispatcher and scheduler threads ended" in output
    assert not [pid for pid in helpers if _alive(pid)], output
    from rq import Worker

    assert Worker.all(connection=Redis.from_url(redis_url)) == []  # it signed off from rq


def test_a_second_sigterm_hands_the_job_back_and_the_next_worker_runs_it_once(
    session, clean_db, redis_url, tmp_path
):
    row = _slow_row(session, "cold", seconds=8)
    log = tmp_path / "worker.log"
    env = _worker_env(clean_db, redis_url, tmp_path)
    first = _start_worker(env, log)
    try:
        _wait_until(_started(session, "cold"), 60, "the job starting", log)
        first.send_signal(signal.SIGTERM)
        time.sleep(1.5)  # rq ignores a repeat within a second (duplicate signals from a pool)
        first.send_signal(signal.SIGTERM)
        code = first.wait(GRACEFUL_WINDOW)
    finally:
        if first.poll() is None:
            first.kill()
    assert code == 0, log.read_text()
    session.expire_all()
    handed_back = session.get(Outbox, row.id)
    # handed back with its attempt unused: waiting for the dispatcher, or already put back on
    # the queue by it (its thread may still tick between the hand-back and its own stop)
    assert handed_back.status in ("pending", "enqueued"), log.read_text()
    assert handed_back.attempts == 0, log.read_text()
    assert test_jobs.runs(session, "cold") == 0

    second = _start_worker(env, log)
    try:
        _wait_until(lambda: _done(session, row.id), 60, "the handed-back job finishing", log)
    finally:
        _stop(second)
    assert (test_jobs.starts(session, "cold"), test_jobs.runs(session, "cold")) == (2, 1)


@pytest.mark.slow
def test_a_worker_killed_mid_job_loses_nothing_the_sweeper_hands_the_job_on(
    session, clean_db, redis_url, tmp_path
):
    """SIGKILL (systemd after TimeoutStopSec) leaves the row ``running``; nothing can tell a
    dead worker from a slow job before the job timeout, so the sweeper hands it on once
    JOB_TIMEOUT_SECONDS + 60 s have passed (shortened here to a 5 s job timeout)."""
    row = _slow_row(session, "killed", seconds=3)
    log = tmp_path / "worker.log"
    env = _worker_env(clean_db, redis_url, tmp_path, JOB_TIMEOUT_SECONDS="5")
    first = _start_worker(env, log)
    try:
        _wait_until(_started(session, "killed"), 60, "the job starting", log)
    finally:
        first.kill()
        first.wait(10)
    session.expire_all()
    assert session.get(Outbox, row.id).status == "running"

    second = _start_worker(env, log)
    try:
        _wait_until(lambda: _done(session, row.id), 180, "the lost job finishing", log)
        time.sleep(3)  # a duplicate would start within a dispatch or two
    finally:
        _stop(second)
    assert (test_jobs.starts(session, "killed"), test_jobs.runs(session, "killed")) == (2, 1)


def _done(session, outbox_id: int) -> bool:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(Outbox, outbox_id).status == "done"


# --- surviving Redis, and no forked children holding database connections ---


def test_the_worker_process_outlives_redis_going_away_in_the_middle_of_a_job(
    session, clean_db, tmp_path
):
    """rq gives up when Redis vanishes while it finishes a job; the process must start it
    again once Redis is back, or a Redis restart would leave no worker running anything."""
    redis = RedisServer(tmp_path)
    redis.start()
    enqueue(session, test_jobs.count_runs_slowly, tag="during", seconds=3)
    session.commit()
    log = tmp_path / "worker.log"
    worker = _start_worker(_worker_env(clean_db, redis.url, tmp_path), log)
    try:
        assert wait_for(lambda: row_status(session, "during") == "running"), "never started"
        redis.stop()
        assert wait_for(lambda: test_jobs.runs(session, "during") == 1), "the job did not end"
        time.sleep(2)  # rq finds Redis gone as it records the result, and quits
        redis.start()
        enqueue(session, test_jobs.count_runs, tag="after")
        session.commit()
        ran_after = wait_for(lambda: row_status(session, "after") == "done", timeout=60)
        alive = worker.poll() is None
    finally:
        _stop(worker)
        redis.stop()
    output = log.read_text()
    assert alive, output
    assert ran_after, output
    assert test_jobs.runs(session, "during") == 1
    assert test_jobs.runs(session, "after") == 1


def row_status(session, tag: str) -> str | None:
    session.expire_all()
    rows = [r for r in session.query(Outbox).all() if r.kwargs.get("tag") == tag]
    return rows[0].status if rows else None


def test_rqs_retry_runs_from_a_thread_and_the_worker_forks_no_child(
    session, clean_db, redis_url, tmp_path
):
    """rq's scheduler (which moves a failed job's retry back onto the queue) runs inside the
    worker process: a forked child would inherit its PostgreSQL connections and, once the worker
    was killed, keep its row locks held with nobody to release them."""
    enqueue(session, test_jobs.fail_first_time, tag="retried")
    session.commit()
    log = tmp_path / "worker.log"
    worker = _start_worker(_worker_env(clean_db, redis_url, tmp_path), log)
    children: set[int] = set()

    def retried_while_watching_children() -> bool:
        children.update(child_processes(worker.pid))
        return row_status(session, "retried") == "done"

    try:
        wait_for(retried_while_watching_children, 60)
    finally:
        _stop(worker)
    assert row_status(session, "retried") == "done", log.read_text()
    assert test_jobs.runs(session, "retried") == 2
    assert children == set()


def child_processes(pid: int) -> set[int]:
    """The ids of the process's children, from every one of its threads."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except OSError:  # the thread ended meanwhile
            continue
    return found
