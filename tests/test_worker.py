"""worker: the rq worker process runs outbox work end to end."""

import os
import subprocess
import sys
import time
from pathlib import Path

from jobs.outbox import enqueue
from models.outbox import Outbox
from tests.conftest import TEST_KEYS
from tests.support import jobs as test_jobs
from tests.support.services import RedisServer

ROOT = Path(__file__).resolve().parent.parent


def count_runs_rows(session) -> list[Outbox]:
    return session.query(Outbox).filter(Outbox.job == "tests.support.jobs.count_runs").all()


def test_the_worker_process_dispatches_and_runs_outbox_rows(session, clean_db, redis_url, tmp_path):
    for n in range(3):
        enqueue(session, test_jobs.count_runs, tag=f"w{n}")
    session.commit()
    env = {
        **os.environ,
        "DATABASE_URL": clean_db,
        "REDIS_URL": redis_url,
        "ENCRYPTION_KEYS": TEST_KEYS,
        "SECRET_KEY": "x",
        "VAR_DIR": str(tmp_path),
        "DISPATCH_INTERVAL_SECONDS": "0.2",
    }
    process = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            session.expire_all()
            if all(r.status == "done" for r in count_runs_rows(session)):
                break
            time.sleep(0.2)
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0].decode()
    assert [r.status for r in count_runs_rows(session)] == ["done"] * 3, output
    assert all(test_jobs.runs(session, f"w{n}") == 1 for n in range(3))


def test_the_worker_process_outlives_redis_going_away_in_the_middle_of_a_job(
    session, clean_db, tmp_path
):
    """rq gives up when Redis vanishes while it finishes a job; the process must start it
    again once Redis is back, or a Redis restart would leave no worker running anything."""
    redis = RedisServer(tmp_path)
    redis.start()
    enqueue(session, test_jobs.count_runs_slowly, tag="during", seconds=3)
    session.commit()
    env = {
        **os.environ,
        "DATABASE_URL": clean_db,
        "REDIS_URL": redis.url,
        "ENCRYPTION_KEYS": TEST_KEYS,
        "SECRET_KEY": "x",
        "VAR_DIR": str(tmp_path),
        "DISPATCH_INTERVAL_SECONDS": "0.2",
    }
    process = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(lambda: row_status(session, "during") == "running"), "never started"
        redis.stop()
        assert wait_for(lambda: test_jobs.runs(session, "during") == 1), "the job did not end"
        time.sleep(2)  # rq finds Redis gone as it records the result, and quits
        redis.start()
        enqueue(session, test_jobs.count_runs, tag="after")
        session.commit()
        ran_after = wait_for(lambda: row_status(session, "after") == "done", timeout=60)
        alive = process.poll() is None
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
        redis.stop()
    assert alive, output
    assert ran_after, output
    assert test_jobs.runs(session, "during") == 1
    assert test_jobs.runs(session, "after") == 1


def row_status(session, tag: str) -> str | None:
    session.expire_all()
    rows = [r for r in session.query(Outbox).all() if r.kwargs.get("tag") == tag]
    return rows[0].status if rows else None


def wait_for(condition, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_rqs_retry_runs_from_a_thread_and_the_worker_forks_no_child(
    session, clean_db, redis_url, tmp_path
):
    """rq's scheduler (which moves a failed job's retry back onto the queue) runs inside the
    worker process: a forked child would inherit its PostgreSQL connections and, once the worker
    was killed, keep its row locks held with nobody to release them."""
    enqueue(session, test_jobs.fail_first_time, tag="retried")
    session.commit()
    env = {
        **os.environ,
        "DATABASE_URL": clean_db,
        "REDIS_URL": redis_url,
        "ENCRYPTION_KEYS": TEST_KEYS,
        "SECRET_KEY": "x",
        "VAR_DIR": str(tmp_path),
        "DISPATCH_INTERVAL_SECONDS": "0.2",
    }
    process = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    children: set[str] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and row_status(session, "retried") != "done":
            children |= child_processes(process.pid)
            time.sleep(0.2)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
    assert row_status(session, "retried") == "done", output
    assert test_jobs.runs(session, "retried") == 2
    assert children == set()


def child_processes(pid: int) -> set[str]:
    """The ids of the process's children, from every one of its threads."""
    found: set[str] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= set((task / "children").read_text().split())
        except OSError:  # the thread ended meanwhile
            continue
    return found
