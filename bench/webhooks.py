"""Webhook receiver throughput and latency under gunicorn (not a test; prints figures).

Runs, in one go, against the production gunicorn settings (deploy/gunicorn.conf.py):
  1. the real ``POST /webhooks/github`` (verify signature, de-duplicate, store encrypted,
     enqueue, 202) on PostgreSQL, with signed ``pull_request`` deliveries as fast as a second
     process can send them for DURATION seconds;
  2. the same load against a Flask route that only returns 202 (the ceiling);
  3. both again at a steady 200 requests/s, for p99 latency.

Usage: python bench/webhooks.py [--duration 20] [--concurrency 32]
Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/vetted_bench).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-webhook-secret"
FIXTURE = "github-webhooks/pull_request/opened.payload.json"


def ceiling_app():  # type: ignore[no-untyped-def]
    """The ceiling: a Flask route that reads the body and answers 202 (gunicorn factory)."""
    from flask import Flask, request

    app = Flask("ceiling")

    @app.post("/webhooks/github")
    def accept():  # type: ignore[no-untyped-def]
        request.get_data()
        return "", 202

    return app


def fixtures_dir() -> Path:
    for candidate in (
        os.environ.get("VETTED_FIXTURES", ""),
        ROOT.parent / "shared" / "fixtures",
        "/work/shared/fixtures",
    ):
        if candidate and (Path(candidate) / FIXTURE).exists():
            return Path(candidate)
    sys.exit("fixtures not found (set VETTED_FIXTURES)")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(url: str) -> None:
    sys.path.insert(0, str(ROOT))
    import psycopg2
    from sqlalchemy.engine import make_url

    import models
    from models.db import configure_engine

    parsed = make_url(url)
    conn = psycopg2.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{parsed.database}"')
    conn.close()
    engine = configure_engine(url)
    models.Base.metadata.drop_all(engine)
    models.Base.metadata.create_all(engine)


def start_gunicorn(target: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", target]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    import urllib.request

    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)  # noqa: S310
            return process
        except OSError as exc:
            if getattr(exc, "code", None):  # any HTTP answer means it is up
                return process
            time.sleep(0.2)
    process.kill()
    sys.exit(f"gunicorn did not start: {target}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then as long as gunicorn's graceful timeout (30 s) may take, then SIGKILL."""
    server.terminate()
    try:
        server.wait(45)
    except subprocess.TimeoutExpired:
        print("gunicorn did not stop within 45 s of SIGTERM; killed", file=sys.stderr)
        server.kill()
        server.wait()


async def _load(url: str, body: bytes, duration: float, concurrency: int, rate: float | None):
    import aiohttp

    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.monotonic() + duration
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def one(session) -> None:  # type: ignore[no-untyped-def]
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": signature,
        }
        started = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            statuses[response.status] = statuses.get(response.status, 0) + 1
        latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession(connector=connector) as session:
        if rate is None:

            async def worker() -> None:
                while time.monotonic() < stop:
                    await one(session)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        else:
            tasks = []
            start = time.monotonic()
            n = 0
            while time.monotonic() < stop:
                tasks.append(asyncio.create_task(one(session)))
                n += 1
                await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            await asyncio.gather(*tasks)
    return latencies, statuses


def client_process(url: str, body: bytes, duration: float, concurrency: int, rate, out) -> None:  # type: ignore[no-untyped-def]
    latencies, statuses = asyncio.run(_load(url, body, duration, concurrency, rate))
    out.send((latencies, statuses))


def measure(url: str, body: bytes, duration: float, concurrency: int, rate: float | None = None):  # type: ignore[no-untyped-def]
    """Run the load from a second process; return (req/s, p50 ms, p99 ms, statuses)."""
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.Process(
        target=client_process, args=(url, body, duration, concurrency, rate, child)
    )
    proc.start()
    latencies, statuses = parent.recv()
    proc.join()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    return len(latencies) / duration, statistics.median(latencies) * 1000, p99, statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--steady-duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    db_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/vetted_bench"
    )
    prepare_database(db_url)
    body = (fixtures_dir() / FIXTURE).read_bytes()
    sys.path.insert(0, str(ROOT))
    from models.crypto import generate_key

    env = {
        "VETTED_ENV": "production",
        "DATABASE_URL": db_url,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4"),
        "ENCRYPTION_KEYS": f"b1:{generate_key()}",
        "SECRET_KEY": "bench-secret-key",
        "BASE_URL": "http://127.0.0.1",
        "GITHUB_WEBHOOK_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        "RATE_LIMITS_ENABLED": "false",
    }
    results = {}
    for name, target in (
        ("receiver", "app:create_app()"),
        ("ceiling", "bench.webhooks:ceiling_app()"),
    ):
        port = free_port()
        server = start_gunicorn(target, port, env)
        url = f"http://127.0.0.1:{port}/webhooks/github"
        try:
            measure(url, body, 2.0, args.concurrency)  # warm up every worker
            flat = measure(url, body, args.duration, args.concurrency)
            steady = measure(url, body, args.steady_duration, args.concurrency, rate=200.0)
        finally:
            stop(server)
        results[name] = (flat, steady)
    workers = os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1))
    print(
        f"gunicorn gthread, {workers} workers x {os.environ.get('GUNICORN_THREADS', '4')} threads; "
        f"{args.concurrency} connections from a second process; {len(body)}-byte pull_request"
    )
    print(f"{'':10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99@200/s':>10}  statuses")
    for name, (flat, steady) in results.items():
        print(
            f"{name:10} {flat[0]:8.0f} {flat[1]:8.1f} {flat[2]:8.1f} {steady[2]:10.1f}  "
            f"{json.dumps(flat[3])}"
        )
    ratio = results["receiver"][0][0] / results["ceiling"][0][0]
    print(
        f"ratio receiver/ceiling: {ratio:.2f} (aim >= 0.5); "
        f"receiver p99 at a steady 200 req/s: {results['receiver'][1][2]:.1f} ms (aim < 50)"
    )


if __name__ == "__main__":
    main()
