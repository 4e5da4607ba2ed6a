"""Malware scanning: clamd over INSTREAM when configured, a built-in scanner otherwise.

Fail closed: with ``CLAMD_URL`` set and clamd unreachable, ``ScannerUnavailable`` is raised and
the caller waits (the ticket stays in ``scanning``); code is never released unscanned. The
built-in scanner is for the embedded default only: it knows a handful of signatures (EICAR
included), and the ticket page says ClamAV was not used.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from intake.archives import ArchiveError, Limits, extract_archive, is_archive
from settings import Settings

ENGINE_CLAMAV = "clamav"
ENGINE_BUILTIN = "builtin"
CLAMD_TIMEOUT = 120
STREAM_CHUNK = 256 * 1024

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
# name -> byte pattern; deliberately short: this is a fallback, not an antivirus.
BUILTIN_SIGNATURES: dict[str, bytes] = {
    "Eicar-Test-Signature": EICAR,
    "Vetted.Test.Malware-Marker": b"VETTED-MALWARE-TEST-MARKER-7f3a9c",
}
OVERLAP = max(len(p) for p in BUILTIN_SIGNATURES.values())


class ScannerUnavailable(Exception):  # noqa: N818 - reads naturally at the raise site
    """clamd is configured but cannot be reached (or answered an error): try again later."""


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str | None
    engine: str


class _WholeSends:
    """pyclamd writes INSTREAM chunks with ``socket.send``, which may send only part of a
    chunk on a socket with a timeout; that would corrupt the stream. Make each send whole."""

    def __init__(self, sock):  # type: ignore[no-untyped-def]
        self._sock = sock

    def send(self, data: bytes) -> int:
        self._sock.sendall(data)
        return len(data)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._sock, name)


def _whole_sends(base):  # type: ignore[no-untyped-def]
    class Client(base):  # type: ignore[misc, valid-type]
        def _init_socket(self) -> None:
            super()._init_socket()
            self.clamd_socket = _WholeSends(self.clamd_socket)

    return Client


def _client(url: str):  # type: ignore[no-untyped-def]
    import pyclamd

    parsed = urlparse(url)
    if parsed.scheme == "tcp":
        return _whole_sends(pyclamd.ClamdNetworkSocket)(
            host=parsed.hostname or "127.0.0.1", port=parsed.port or 3310, timeout=CLAMD_TIMEOUT
        )
    if parsed.scheme == "unix":
        return _whole_sends(pyclamd.ClamdUnixSocket)(filename=parsed.path, timeout=CLAMD_TIMEOUT)
    raise ScannerUnavailable(f"CLAMD_URL must start with tcp:// or unix://, not {parsed.scheme!r}")


def clamd_ping(url: str) -> bool:
    """For the readiness check: does clamd answer PING?"""
    import pyclamd

    try:
        return bool(_client(url).ping())
    except (pyclamd.ConnectionError, OSError, ScannerUnavailable):
        return False


def scan_with_clamd(url: str, path: Path) -> ScanResult:
    """Stream ``path`` to clamd (INSTREAM); clamd looks inside archives itself (ScanArchive)."""
    import pyclamd

    try:
        client = _client(url)
        with open(path, "rb") as fileobj:
            answer = client.scan_stream(fileobj, chunk_size=STREAM_CHUNK)
    except pyclamd.BufferTooLongError:
        # StreamMaxLength is below our upload limit: say so rather than pass it unscanned.
        return ScanResult(False, "Heuristics.Limits.Exceeded.StreamMaxLength", ENGINE_CLAMAV)
    except (pyclamd.ConnectionError, OSError) as exc:
        raise ScannerUnavailable(f"clamd unreachable: {exc.__class__.__name__}") from None
    if not answer:
        return ScanResult(True, None, ENGINE_CLAMAV)
    status, reason = next(iter(answer.values()))
    if status == "FOUND":
        return ScanResult(False, str(reason), ENGINE_CLAMAV)
    raise ScannerUnavailable(f"clamd error: {reason}")


def _match_file(path: Path) -> str | None:
    tail = b""
    with open(path, "rb") as fileobj:
        while block := fileobj.read(STREAM_CHUNK):
            window = tail + block
            for name, pattern in BUILTIN_SIGNATURES.items():
                if pattern in window:
                    return name
            tail = window[-OVERLAP:]
    return None


def _builtin_scan(path: Path, limits: Limits, depth: int) -> str | None:
    found = _match_file(path)
    if found or depth > limits.max_depth or not is_archive(path):
        return found
    scratch = Path(tempfile.mkdtemp(prefix=".scan-", dir=path.parent))
    try:
        try:
            extract_archive(path, scratch / "x", limits)
        except ArchiveError:
            return None  # not ours to judge here: validation refuses it with its own message
        for inner in sorted((scratch / "x").rglob("*")):
            if inner.is_file() and not inner.is_symlink():
                found = _builtin_scan(inner, limits, depth + 1)
                if found:
                    return found
        return None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def scan_with_builtin(settings: Settings, path: Path) -> ScanResult:
    signature = _builtin_scan(Path(path), Limits.from_settings(settings), 0)
    return ScanResult(signature is None, signature, ENGINE_BUILTIN)


def scan_path(settings: Settings, path: Path | str) -> ScanResult:
    """Scan one file (an archive is scanned inside). Raises ``ScannerUnavailable``."""
    if settings.clamd_url:
        return scan_with_clamd(settings.clamd_url, Path(path))
    return scan_with_builtin(settings, Path(path))


def scan_tree(settings: Settings, root: Path) -> ScanResult:
    """Scan every file of an extracted tree (used for code that arrives without an archive)."""
    engine = ENGINE_CLAMAV if settings.clamd_url else ENGINE_BUILTIN
    for path in sorted(Path(root).rglob("*")):
        if path.is_file() and not path.is_symlink():
            result = scan_path(settings, path)
            if not result.clean:
                return result
    return ScanResult(True, None, engine)
