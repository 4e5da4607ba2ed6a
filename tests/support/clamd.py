"""A real clamd for the tests, with a signature database the tests write (no freshclam).

The database holds EICAR twice: as a body signature (``.ndb``) and as a file hash (``.hdb``).
The daemon runs in the foreground on a free loopback TCP port with ScanArchive and
AlertExceedsMax on, like production. Use it with
``from tests.support.clamd import clamd_server_fixture, clamd_url_fixture  # noqa: F401``
and ask for ``clamd_url``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from intake.scanning import EICAR
from tests.support.services import free_port, unavailable, wait_for_port

CLAMD = os.environ.get("CLAMD_BINARY", "/usr/sbin/clamd")


def write_database(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vetted-test.ndb").write_text(f"Eicar-Test-Signature.NDB:0:*:{EICAR.hex()}\n")
    digest = hashlib.md5(EICAR).hexdigest()  # noqa: S324 - ClamAV's .hdb format is MD5
    (directory / "vetted-test.hdb").write_text(f"{digest}:{len(EICAR)}:Eicar-Test-Signature\n")


def write_config(workdir: Path, port: int, max_file_size: str = "300M") -> Path:
    config = workdir / "clamd.conf"
    config.write_text(
        "\n".join(
            [
                "Foreground yes",
                f"DatabaseDirectory {workdir / 'db'}",
                f"LogFile {workdir / 'clamd.log'}",
                f"PidFile {workdir / 'clamd.pid'}",
                f"TemporaryDirectory {workdir}",
                "TCPAddr 127.0.0.1",
                f"TCPSocket {port}",
                "ScanArchive yes",
                "AlertExceedsMax yes",
                "StreamMaxLength 300M",
                f"MaxFileSize {max_file_size}",
                "MaxScanSize 1000M",
                "MaxRecursion 16",
                "Bytecode no",
                "",
            ]
        )
    )
    return config


class Clamd:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def start(self, max_file_size: str = "300M") -> None:
        if not Path(CLAMD).exists() and shutil.which("clamd") is None:
            unavailable("clamd is not installed (apt-get install clamav-daemon)")
        write_database(self.workdir / "db")
        config = write_config(self.workdir, self.port, max_file_size)
        binary = CLAMD if Path(CLAMD).exists() else shutil.which("clamd")
        self.process = subprocess.Popen(
            [binary, "--foreground", f"--config-file={config}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for_port(self.port, timeout=60):
            self.stop()
            log = self.workdir / "clamd.log"
            raise RuntimeError(f"clamd did not start: {log.read_text() if log.exists() else ''}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None


@pytest.fixture(scope="session", name="clamd_server")
def clamd_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    server = Clamd(tmp_path_factory.mktemp("clamd"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="clamd_url")
def clamd_url_fixture(clamd_server: Clamd) -> str:
    """``tcp://127.0.0.1:<port>`` of a real clamd that knows EICAR."""
    return clamd_server.url
