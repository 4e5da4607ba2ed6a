"""Archive validation and safe extraction.

The type comes from the bytes (magic numbers), never the name. Every limit is enforced on what
is actually read while extracting, never on sizes an archive declares about itself: a zip's
central directory or a tar header may lie, the decompressed bytes cannot. Nested archives are
not unpacked into the tree, but they are opened (in a scratch directory) to check their depth
and to charge what they expand to against the same budget.
"""

from __future__ import annotations

import _compression
import bz2
import contextlib
import gzip
import io
import lzma
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from settings import Settings

INVALID_FORMAT = "Invalid file format"
TOO_LARGE = "File size exceeds limit"
EXPANDS = "Archive expands beyond the limit"
UNSAFE_PATHS = "Archive contains unsafe paths"
TOO_MANY = "Archive contains too many files"
RATIO = "Archive is compressed too highly to be safe (possible zip bomb)"
NESTED = "Archive contains archives nested too deeply"
OVERLAP = "Archive contains overlapping entries (possible zip bomb)"
DUPLICATE = "Archive contains duplicate entries"
LINKS = "Archive contains links or special files, which are not allowed"
ENCRYPTED = "Encrypted (password-protected) archives are not supported"
CORRUPT = "Archive is corrupt or truncated"
EMPTY = "Archive contains no files"

RATIO_FLOOR = 1024 * 1024  # small entries may compress well; ratio counts only past 1 MiB
COPY_BLOCK = 64 * 1024
TAR_MAGIC_OFFSET = 257


class ArchiveError(ValueError):
    """The archive is refused; ``message`` is what the developer is told."""

    def __init__(self, message: str, code: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def _fail(message: str, code: str, status: int = 422) -> ArchiveError:
    return ArchiveError(message, code, status)


@dataclass(frozen=True)
class Limits:
    max_upload_bytes: int
    max_expanded_bytes: int
    max_entries: int
    max_ratio: int
    max_depth: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.max_upload_bytes,
            settings.max_expanded_bytes,
            settings.max_archive_entries,
            settings.max_compression_ratio,
            settings.max_nested_depth,
        )


@dataclass
class Budget:
    """What extraction has used so far, shared across nested archives."""

    limits: Limits
    expanded: int = 0
    entries: int = 0
    files: list[str] = field(default_factory=list)

    def charge_bytes(self, count: int) -> None:
        self.expanded += count
        if self.expanded > self.limits.max_expanded_bytes:
            raise _fail(EXPANDS, "archive_too_big")

    def charge_entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise _fail(TOO_MANY, "archive_too_many_entries")


def sniff(head: bytes) -> str | None:
    """zip, tar, gz, bz2 or xz from the first bytes; ``None`` for anything else."""
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if head[:2] == b"\x1f\x8b":
        return "gz"
    if head[:3] == b"BZh":
        return "bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + 5] == b"ustar":
        return "tar"
    return None


XZ_MEMLIMIT = 64 * 1024 * 1024  # an xz file may ask for a huge dictionary; refuse past this


def _open_compressed(kind: str, fileobj: BinaryIO) -> BinaryIO:
    """A decompressing reader whose every read is bounded (and xz's dictionary capped)."""
    if kind == "gz":
        return gzip.GzipFile(fileobj=fileobj)  # type: ignore[return-value]
    if kind == "bz2":
        return bz2.BZ2File(fileobj)  # type: ignore[return-value]
    reader = _compression.DecompressReader(
        fileobj, lzma.LZMADecompressor, trailing_error=lzma.LZMAError, memlimit=XZ_MEMLIMIT
    )
    return io.BufferedReader(reader)  # type: ignore[return-value]


def detect_type_from(opener: Callable[[], BinaryIO]) -> str:
    """``zip`` or ``tar`` (plain or compressed); raises ``Invalid file format`` otherwise.

    For compressed files the first decompressed block must be a tar header: a gzipped PDF is
    not a code archive. ``opener`` returns a fresh reader each call (it may be called twice).
    """
    with opener() as fileobj:
        kind = sniff(fileobj.read(512))
    if kind in ("zip", "tar"):
        return kind
    if kind is None:
        raise _fail(INVALID_FORMAT, "invalid_format", 415)
    try:
        with opener() as fileobj:
            inner = _open_compressed(kind, fileobj).read(512)
    except (OSError, EOFError, lzma.LZMAError, zlib.error):
        raise _fail(CORRUPT, "archive_corrupt") from None
    if sniff(inner) != "tar":
        raise _fail(INVALID_FORMAT, "invalid_format", 415)
    return "tar"


def detect_type(path: Path) -> str:
    return detect_type_from(lambda: open(path, "rb"))


def safe_relpath(name: str) -> PurePosixPath:
    """The entry's path inside the tree, or ``Archive contains unsafe paths``."""
    unsafe = _fail(UNSAFE_PATHS, "archive_unsafe_paths")
    if not name or "\x00" in name or "\\" in name:
        raise unsafe
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":"):
        raise unsafe
    parts = [p for p in path.parts if p not in ("", ".")]
    if not parts:
        raise unsafe
    return PurePosixPath(*parts)


def _target(root: Path, rel: PurePosixPath) -> Path:
    """Resolve the destination and check it is inside ``root`` (belt and braces)."""
    target = (root / rel).resolve()
    if target != root and root not in target.parents:
        raise _fail(UNSAFE_PATHS, "archive_unsafe_paths")
    return target


def _copy_limited(src: BinaryIO, dest: Path, budget: Budget, compressed: int) -> int:
    """Copy counting real bytes; enforce the total budget and the per-entry ratio as we go."""
    written = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(dest, flags, 0o600), "wb") as out:
        while block := src.read(COPY_BLOCK):
            written += len(block)
            budget.charge_bytes(len(block))
            if written > RATIO_FLOOR and written > budget.limits.max_ratio * max(compressed, 1):
                raise _fail(RATIO, "archive_ratio")
            out.write(block)
    return written


def _check_zip_layout(archive: zipfile.ZipFile, size: int) -> None:
    """Duplicates and overlapping entries (the 'overlapping-entry' zip bomb), before reading."""
    seen: set[str] = set()
    spans = []
    for info in archive.infolist():
        key = info.filename.rstrip("/")
        if key in seen:
            raise _fail(DUPLICATE, "archive_duplicate_entries")
        seen.add(key)
        spans.append((info.header_offset, info))
    spans.sort(key=lambda item: item[0])
    previous_end = 0
    for offset, info in spans:
        if offset < previous_end:
            raise _fail(OVERLAP, "archive_overlapping_entries")
        # local header: 30 bytes + name + extra (the local extra may differ; read conservatively)
        previous_end = offset + 30 + len(info.orig_filename.encode("utf-8", "replace"))
        previous_end += info.compress_size
        if previous_end > size:
            raise _fail(CORRUPT, "archive_corrupt")


ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def _extract_zip(path: Path, root: Path, budget: Budget) -> None:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if len(infos) + budget.entries > budget.limits.max_entries:
            raise _fail(TOO_MANY, "archive_too_many_entries")
        _check_zip_layout(archive, path.stat().st_size)
        for info in infos:
            rel = safe_relpath(info.filename)
            kind = stat.S_IFMT(info.external_attr >> 16)
            if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
                raise _fail(LINKS, "archive_links")
            if info.flag_bits & 0x1:
                raise _fail(ENCRYPTED, "archive_encrypted")
            if info.compress_type not in ZIP_METHODS:  # e.g. Deflate64: zipfile cannot read it
                raise _fail(INVALID_FORMAT, "invalid_format", 415)
            budget.charge_entry()
            target = _target(root, rel)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            with archive.open(info) as src:
                _copy_limited(src, target, budget, info.compress_size)
            budget.files.append(rel.as_posix())


class _CountingReader:
    """Counts the compressed bytes a tar stream consumes, for the whole-stream ratio."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.count += len(data)
        return data


def _extract_tar(path: Path, root: Path, budget: Budget) -> None:
    seen: set[str] = set()
    with open(path, "rb") as raw:
        kind = sniff(raw.read(512))
        raw.seek(0)
        counter = _CountingReader(raw)
        # Decompress with the stdlib file objects (their reads are bounded by max_length), not
        # tarfile's own stream, which inflates a whole buffer at once: ~1000x for a bomb.
        plain = counter if kind == "tar" else _open_compressed(kind or "", counter)  # type: ignore[arg-type]
        with tarfile.open(fileobj=plain, mode="r|") as archive:  # type: ignore[call-overload]
            for member in archive:
                rel = safe_relpath(member.name)
                if not (member.isreg() or member.isdir()) or member.issparse():
                    raise _fail(LINKS, "archive_links")
                key = rel.as_posix()
                if key in seen:
                    raise _fail(DUPLICATE, "archive_duplicate_entries")
                seen.add(key)
                budget.charge_entry()
                try:
                    tarfile.data_filter(member, str(root))
                except tarfile.FilterError:
                    raise _fail(UNSAFE_PATHS, "archive_unsafe_paths") from None
                target = _target(root, rel)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                src = archive.extractfile(member)
                if src is None:
                    raise _fail(LINKS, "archive_links")
                with src:
                    _copy_limited(src, target, budget, member.size)
                if budget.expanded > RATIO_FLOOR and (
                    budget.expanded > budget.limits.max_ratio * max(counter.count, 1)
                ):
                    raise _fail(RATIO, "archive_ratio")
                budget.files.append(key)


def _extract_one(path: Path, root: Path, budget: Budget) -> None:
    kind = detect_type(path)
    try:
        if kind == "zip":
            _extract_zip(path, root, budget)
        else:
            _extract_tar(path, root, budget)
    except ArchiveError:
        raise
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError):
        raise _fail(CORRUPT, "archive_corrupt") from None
    except (OSError, RuntimeError, ValueError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None and exc.errno != 22:
            raise  # disk full and the like: our fault, retried, not the developer's
        raise _fail(CORRUPT, "archive_corrupt") from None


def is_archive(path: Path) -> bool:
    with open(path, "rb") as fileobj:
        return sniff(fileobj.read(512)) is not None


def _check_nested(root: Path, budget: Budget, depth: int, scratch: Path) -> None:
    """Open every archive inside ``root`` (depth+1) in a scratch dir, charging the budget."""
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            if path.is_symlink() or not is_archive(path):
                continue
            if depth + 1 > budget.limits.max_depth:
                raise _fail(NESTED, "archive_nested")
            inner = Path(tempfile.mkdtemp(dir=scratch))
            try:
                files_before = len(budget.files)
                _extract_one(path, inner, budget)
                del budget.files[files_before:]  # nested content is checked, not kept
                _check_nested(inner, budget, depth + 1, scratch)
            except ArchiveError as exc:
                if exc.code == "invalid_format":
                    continue  # e.g. a gzip that is not a tar: an ordinary file in the tree
                raise
            finally:
                shutil.rmtree(inner, ignore_errors=True)


def extract_archive(path: Path, dest: Path, limits: Limits) -> list[str]:
    """Validate and extract ``path`` into the empty directory ``dest``; returns the file list.

    Raises ``ArchiveError`` with the developer-facing message; on failure ``dest`` is emptied.
    """
    if path.stat().st_size > limits.max_upload_bytes:
        raise _fail(TOO_LARGE, "too_large", 413)
    dest = dest.resolve()
    dest.mkdir(parents=True, exist_ok=True)
    budget = Budget(limits)
    scratch = Path(tempfile.mkdtemp(prefix=".nested-", dir=dest.parent))
    try:
        _extract_one(path, dest, budget)
        _check_nested(dest, budget, 0, scratch)
        if not budget.files:
            raise _fail(EMPTY, "archive_empty")
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True, exist_ok=True)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return budget.files


def iter_nested_archives(root: Path) -> list[Path]:
    found = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            with contextlib.suppress(OSError):
                if not path.is_symlink() and is_archive(path):
                    found.append(path)
    return found
