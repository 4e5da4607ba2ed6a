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
