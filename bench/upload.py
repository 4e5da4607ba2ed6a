"""Upload throughput and memory: 1 GiB through tus in 8 MiB chunks (not a test).

Runs, in one go and on the same machine:

1. Vetted under gunicorn (1 gthread worker, SQLite, embedded defaults), uploading through
   ``/api/v1/uploads`` with a real API token;
2. the ceiling: a minimal WSGI app under the same gunicorn settings that only appends each
   PATCH body to a file.

Prints MB/s for both, their ratio, and the peak RSS of the Vetted web worker (VmHWM from
/proc) against its RSS before the upload. Usage: ``python bench/upload.py [--mib 1024]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 8 * 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}


# -- the ceiling: write the body to disk, nothing else ------------------------------------------
def sink_app(environ, start_response):  # type: ignore[no-untyped-def]
    target = Path(environ.get("SINK_PATH", os.environ.get("SINK_PATH", "/tmp/sink.bin")))
    method = environ["REQUEST_METHOD"]
    if method == "POST":
        target.write_bytes(b"")
        start_response("201 Created", [("Location", "/upload/sink"), ("Content-Length", "0")])
        return [b""]
    stream = environ["wsgi.input"]
    with open(target, "ab") as out:
        while block := stream.read(1024 * 1024):
            out.write(block)
    offset = str(target.stat().st_size)
    start_response("204 No Content", [("Upload-Offset", offset)])
    return [b""]


# -- helpers --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def gunicorn(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
        "--workers", "1", "--worker-class", "gthread", "--threads", "4",
        "--timeout", "300", "--log-level", "warning",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def proc_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak(pid: int) -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the peak is this upload's alone."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        print("note: could not reset the peak RSS; it includes the warm-up", file=sys.stderr)


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(30)


def upload(base: str, headers: dict[str, str], total: int, location_base: str) -> float:
    """Create, then PATCH ``total`` bytes in 8 MiB chunks; returns seconds taken."""
    block = os.urandom(CHUNK)
    with requests.Session() as session:
        started = time.perf_counter()
        created = session.post(
            f"{base}/api/v1/uploads" if location_base else f"{base}/upload",
            headers={**TUS, **headers, "Upload-Length": str(total),
                     "Upload-Metadata": "filename YmVuY2guYmlu"},
            timeout=60,
        )  # fmt: skip
        created.raise_for_status()
        location = created.headers["Location"]
        url = location if location.startswith("http") else base + location
        offset = 0
        while offset < total:
            body = block[: min(CHUNK, total - offset)]
            response = session.patch(
                url,
                data=body,
                headers={**TUS, **headers, "Upload-Offset": str(offset),
                         "Content-Type": "application/offset+octet-stream"},
                timeout=300,
            )  # fmt: skip
            if response.status_code != 204:
                raise RuntimeError(f"PATCH failed: {response.status_code} {response.text[:200]}")
            offset = int(response.headers["Upload-Offset"])
        return time.perf_counter() - started


def prepare_vetted(workdir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Environment for the app and an API token, on a fresh SQLite database."""
    sys.path.insert(0, str(ROOT))
    from accounts.tokens import create_token
    from accounts.users import create_user
    from models import Base
    from models.crypto import Keyring, configure_keyring, generate_key
    from models.db import configure_engine, session_scope

    keys = f"b1:{generate_key()}"
    env = {
        **os.environ,
        "VETTED_ENV": "development",
        "VAR_DIR": str(workdir / "var"),
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "STORAGE_DIR": str(workdir / "storage"),
        "ENCRYPTION_KEYS": keys,
        "SECRET_KEY": "bench-secret",
        "EMBEDDED_WORKER": "false",
        "REDIS_URL": "",
        "RATE_LIMITS_ENABLED": "false",
        "MAX_UPLOAD_BYTES": str(4 * 1024**3),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    configure_keyring(Keyring.from_setting(keys))
    engine = configure_engine(env["DATABASE_URL"])
    Base.metadata.create_all(engine)
    with session_scope() as session:
        user = create_user(session, "bench@example.com", password="bench password 123")
        _, secret = create_token(session, user)
    return env, {"Authorization": f"Bearer {secret}"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024, help="upload size in MiB (default 1 GiB)")
    args = parser.parse_args()
    total = args.mib * 1024 * 1024
    workdir = Path(tempfile.mkdtemp(prefix="vetted-bench-"))
    try:
        env, auth = prepare_vetted(workdir)
        # the ceiling
        sink_port = free_port()
        sink_env = {**env, "SINK_PATH": str(workdir / "sink.bin")}
        sink = gunicorn("bench.upload:sink_app", sink_port, sink_env)
        try:
            wait_for(f"http://127.0.0.1:{sink_port}/")
            sink_seconds = upload(f"http://127.0.0.1:{sink_port}", {}, total, "")
        finally:
            stop(sink)
        (workdir / "sink.bin").unlink(missing_ok=True)
        # Vetted
        port = free_port()
        app = gunicorn("app:create_app()", port, env)
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz")
            worker = worker_pid(app.pid)
            # warm up (imports, first queries, connection pools) so growth is the upload's own
            upload(f"http://127.0.0.1:{port}", auth, 2 * CHUNK, "tus")
            rss_before = proc_kib(worker, "VmRSS")
            reset_peak(worker)
            vetted_seconds = upload(f"http://127.0.0.1:{port}", auth, total, "tus")
            peak = proc_kib(worker, "VmHWM")
        finally:
            stop(app)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    mb = total / 1e6
    sink_rate, vetted_rate = mb / sink_seconds, mb / vetted_seconds
    print(f"upload size            {args.mib} MiB in {CHUNK // (1024 * 1024)} MiB chunks")
    print(f"ceiling (disk sink)    {sink_rate:8.1f} MB/s  ({sink_seconds:.1f} s)")
    print(f"vetted tus             {vetted_rate:8.1f} MB/s  ({vetted_seconds:.1f} s)")
    print(f"ratio vetted/ceiling   {vetted_rate / sink_rate:8.2f}   (aim >= 0.70)")
    print(f"worker RSS before      {rss_before / 1024:8.1f} MiB")
    growth = (peak - rss_before) / 1024
    print(f"worker peak RSS        {peak / 1024:8.1f} MiB  (growth {growth:.1f} MiB, aim < 64)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
