"""deploy/gunicorn.conf.py: the production web server settings, run for real.

The app is built once in gunicorn's master and forked into workers (``preload_app``), so each
worker must drop the database connections it inherited and open its own; this runs the real
settings with several workers and checks every delivery is stored once.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from models.forges import WebhookDelivery
from models.outbox import Outbox
from tests.conftest import TEST_KEYS
from tests.support.forge_payloads import GITHUB_SECRET, github_files, github_headers
from tests.support.services import TEST_REDIS_URL, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


def _config() -> dict[str, object]:
    settings: dict[str, object] = {}
    exec(compile(CONFIG.read_text(), str(CONFIG), "exec"), settings)  # noqa: S102 - our own file
    return settings


def test_workers_are_forked_from_a_preloaded_app_and_recycled_gracefully():
    settings = _config()
    assert settings["preload_app"] is True and settings["worker_class"] == "gthread"
    assert settings["graceful_timeout"] < settings["timeout"]
    assert callable(settings["post_fork"]) and callable(settings["child_exit"])


def test_the_masters_objects_are_frozen_out_of_the_garbage_collectors_view_before_each_fork():
    settings = _config()
    gc.unfreeze()
    try:
        settings["pre_fork"](None, None)  # type: ignore[operator]
        assert gc.get_freeze_count() > 10_000  # everything this test process has built
        assert len(gc.get_objects(generation=2)) < gc.get_freeze_count()
    finally:
        gc.unfreeze()


@pytest.fixture
def gunicorn(database_url: str, _schema: str, tmp_path: Path) -> Iterator[str]:
    if not database_url.startswith("postgresql"):
        pytest.skip("the production server runs on PostgreSQL")
    port = free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "3",
        "GUNICORN_THREADS": "4",
        "VETTED_ENV": "production",
        "DATABASE_URL": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "ENCRYPTION_KEYS": TEST_KEYS,
        "SECRET_KEY": "gunicorn-test-secret-key-0123456789",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "STORAGE_DIR": str(tmp_path / "storage"),
        "VAR_DIR": str(tmp_path),
        "GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
        "RATE_LIMITS_ENABLED": "false",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(CONFIG), "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_for_port(port, timeout=60), "gunicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors.decode()[-2000:]
    assert b"Traceback" not in errors, errors.decode()[-2000:]


def test_concurrent_deliveries_across_forked_workers_are_each_stored_once(gunicorn, session):
    event, path = next((e, p) for e, p in github_files() if e == "pull_request")
    body = path.read_bytes()

    def deliver(n: int) -> int:
        headers = github_headers(event, body, delivery=f"gunicorn-{n}")
        url = f"{gunicorn}/webhooks/github"
        return requests.post(url, data=body, headers=headers, timeout=30).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(deliver, [n % 60 for n in range(120)]))
    assert sorted(set(statuses)) == [200, 202] and statuses.count(202) == 60
    stored = session.scalar(select(func.count()).select_from(WebhookDelivery))
    jobs = session.scalar(select(func.count()).select_from(Outbox))
    assert (stored, jobs) == (60, 60)
