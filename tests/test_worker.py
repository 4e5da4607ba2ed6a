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


def _wait_until(check, timeout: float, what: str, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s\n{log.read_text()}")


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (rq's scheduler runs in one), from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


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
        helpers = _children(worker.pid)  # rq's scheduler process
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(GRACEFUL_WINDOW)
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
    assert (handed_back.status, handed_back.attempts) == ("pending", 0), log.read_text()
    assert test_jobs.runs(session, "cold") == 0

    second = _start_worker(env, log)
    try:
        _wait_until(lambda: _done(session, row.id), 60, "the handed-back job finishing", log)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(GRACEFUL_WINDOW)
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
        second.send_signal(signal.SIGTERM)
        second.wait(GRACEFUL_WINDOW)
    assert (test_jobs.starts(session, "killed"), test_jobs.runs(session, "killed")) == (2, 1)


def _done(session, outbox_id: int) -> bool:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(Outbox, outbox_id).status == "done"
