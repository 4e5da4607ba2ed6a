"""Real processes for the fault drills: a private PostgreSQL, a private Redis, and the cluster.

Everything here runs on loopback ports of its own, so a drill can stop and restart PostgreSQL or
Redis without touching the services the rest of the suite (or anyone else) uses.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.services import RedisServer, free_port, unavailable, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        unavailable(f"PostgreSQL server binaries ({name}) are not installed")
    return found[-1]


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; drop to the postgres user when we are root."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb) with trust auth on a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        # Not under pytest's tmp dir: that is private to root and postgres could not enter it.
        self.home = Path(tempfile.mkdtemp(prefix="vetted-pg-"))
        self.datadir = self.home / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/vetted_drills"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.datadir), "-w", "-t", "60", *args]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        if not self.datadir.exists():
            self.datadir.mkdir(parents=True)
            if os.geteuid() == 0:
                shutil.chown(self.home, "postgres", "postgres")
                shutil.chown(self.datadir, "postgres", "postgres")
            subprocess.run(
                _as_postgres(
                    [
                        _pg_bin("initdb"),
                        "-D",
                        str(self.datadir),
                        "-A",
                        "trust",
                        "-U",
                        "postgres",
                        "--no-sync",
                    ]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.datadir} "
            "-c fsync=off -c max_connections=200"
        )
        self._ctl("-o", options, "-l", str(self.datadir / "server.log"), "start")
        if not wait_for_port(self.port):
            raise RuntimeError("private PostgreSQL did not start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)


class Cluster:
    """deploy/cluster.sh with private ports, database and Redis: nginx + 2 web + 2 workers."""

    def __init__(
        self,
        workdir: Path,
        database_url: str,
        redis_url: str,
        extra_env: dict[str, str] | None = None,
    ):
        self.dir = workdir / "cluster"
        self.port = free_port()
        self.web_ports = [free_port(), free_port()]
        self.env = {
            **os.environ,
            "CLUSTER_DIR": str(self.dir),
            "CLUSTER_PORT": str(self.port),
            "CLUSTER_WEB_PORTS": " ".join(map(str, self.web_ports)),
            "CLUSTER_DATABASE_URL": database_url,
            "CLUSTER_REDIS_URL": redis_url,
            "CLUSTER_WORKERS": "2",
            "WEB_CONCURRENCY": "2",
            "DISPATCH_INTERVAL_SECONDS": "0.2",
            "RATE_LIMITS_ENABLED": "false",
            **(extra_env or {}),
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _script(self, *args: str) -> None:
        if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
            unavailable("nginx is not installed (apt-get install nginx)")
        subprocess.run(
            [str(ROOT / "deploy" / "cluster.sh"), *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            timeout=180,
        )

    def start(self) -> None:
        self._script("start")

    def stop(self) -> None:
        self._script("stop")

    def restart_web(self, n: int) -> None:
        self._script("restart-web", str(n))

    def worker_pid(self, n: int) -> int:
        return int((self.dir / f"worker-{n}.pid").read_text())

    def kill_worker(self, n: int) -> None:
        """kill -9, as a crash or the OOM killer would; then start a replacement.

        The replacement is started by the script, as the original was, so it is not a child
        of this process: a child that exits stays a zombie until reaped, and the script's stop
        would wait its full grace period for it.
        """
        os.kill(self.worker_pid(n), signal.SIGKILL)
        time.sleep(0.5)
        self._script("start-worker", str(n))

    def _worker_env(self) -> dict[str, str]:
        return {
            **self.env,
            "VETTED_ENV": "production",
            "DATABASE_URL": self.env["CLUSTER_DATABASE_URL"],
            "REDIS_URL": self.env["CLUSTER_REDIS_URL"],
            "BASE_URL": self.url,
            "STORAGE_DIR": str(self.dir / "storage"),
            "MAIL_DIR": str(self.dir / "mail"),
            "VAR_DIR": str(self.dir),
            "SECRET_KEY": (self.dir / ".secret_key").read_text().strip(),
            "ENCRYPTION_KEYS": (self.dir / ".encryption_keys").read_text().strip(),
            "PROMETHEUS_MULTIPROC_DIR": str(self.dir / "metrics"),
        }

    def settings_env(self) -> dict[str, str]:
        """The environment a test process needs to read the cluster's database and storage."""
        return self._worker_env()


__all__ = ["Cluster", "PrivatePostgres", "RedisServer"]
