"""The drill cluster: private PostgreSQL and Redis, nginx, two web servers and two workers."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from models.db import normalise_url
from tests.support.clamd import Clamd
from tests.support.cluster import Cluster, PrivatePostgres, RedisServer
from tests.support.forge_payloads import GITHUB_SECRET
from tests.support.intake_forges import FakeForge

ROOT = Path(__file__).resolve().parents[2]
# `make test` runs the fast drills with a short burst; `make drills` runs all six with
# DRILL_BURST=300, as the issue asks.
BURST = int(os.environ.get("DRILL_BURST", "20"))
# Deadlines grow with the burst: two workers get through a few tickets a second, and a fault
# (a 30 s forge outage, a PostgreSQL restart) holds everything up for a while on top. These are
# generous ceilings for waiting, never measured against.
PROCESSING_DEADLINE = 180 + 2 * BURST
DRILL_TIMEOUT = 300 + 2 * PROCESSING_DEADLINE + BURST


@dataclass
class Figures:
    """What one drill saw, for the summary at the end of the run."""

    name: str
    accepted: int = 0
    refused: dict[int, int] = field(default_factory=dict)
    processed: int = 0
    offered: int = 0
    retried: int = 0
    seconds: float = 0.0


FIGURES: list[Figures] = []


class DrillCluster:
    def __init__(
        self,
        postgres: PrivatePostgres,
        redis: RedisServer,
        cluster: Cluster,
        clamd: Clamd | None = None,
        forge: FakeForge | None = None,
    ):
        self.postgres, self.redis, self.cluster = postgres, redis, cluster
        self.clamd, self.forge = clamd, forge
        self.engine: Engine = create_engine(normalise_url(postgres.url), pool_pre_ping=True)
        self.token = ""

    def flask(self, *args: str) -> str:
        result = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app", *args],
            cwd=ROOT,
            env=self.cluster.settings_env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout

    def reviewer(self, email: str, language: str, capacity: int) -> None:
        """A reviewer verified for security reviews in ``language``, taking ``capacity`` offers."""
        self.flask(
            "reviewer", "create", email, "--tags", f"security,{language}",
            "--capacity", str(capacity),
        )  # fmt: skip


def github_app_env(clamd: Clamd, forge: FakeForge) -> dict[str, str]:
    """clamd, and the forge stand-in as GitHub's API for both repository URLs and the App."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return {
        "CLAMD_URL": clamd.url,
        "GITHUB_API_URL": forge.url,
        "GITHUB_APP_ID": "4242",
        "GITHUB_PRIVATE_KEY": pem,
        "GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
    }


@pytest.fixture(scope="package")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DrillCluster]:
    """The cluster and its private services, started once for the drills in this package.

    Each service is stopped again whatever fails later, so a missing nginx (which fails under
    ``REQUIRE_SERVICES=1`` and skips otherwise) leaves no PostgreSQL or clamd running behind.
    """
    workdir = tmp_path_factory.mktemp("drill")
    (workdir / "clamd").mkdir()
    with ExitStack() as stack:
        postgres = PrivatePostgres()
        stack.callback(postgres.remove)
        postgres.start()
        stack.callback(postgres.stop)
        redis = RedisServer(workdir)
        redis.start()
        stack.callback(redis.stop)
        clamd = Clamd(workdir / "clamd")
        clamd.start()
        stack.callback(clamd.stop)
        forge = FakeForge()
        forge.start()
        stack.callback(forge.stop)
        cluster = Cluster(workdir, postgres.url, redis.url, github_app_env(clamd, forge))
        stack.callback(cluster.stop)
        cluster.start()
        drill = DrillCluster(postgres, redis, cluster, clamd, forge)
        stack.callback(drill.engine.dispose)
        drill.flask("user", "create", "burst@example.com", "--password", "drill password 123")
        drill.token = drill.flask("token", "create", "burst@example.com").strip()
        yield drill


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print each drill's figures, so a run at 300 leaves its numbers in the log."""
    if not FIGURES:
        return
    terminalreporter.section(f"drill figures (burst {BURST})")
    for f in FIGURES:
        refused = ", ".join(f"{n}x{status}" for status, n in sorted(f.refused.items())) or "none"
        terminalreporter.write_line(
            f"{f.name}: accepted {f.accepted}, refused {refused}, processed {f.processed}, "
            f"offered {f.offered}, retried {f.retried}, {f.seconds:.0f} s"
        )
