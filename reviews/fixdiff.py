"""Fixed code a reviewer attached, shown as a diff against the code the developer submitted.

Archives are read in memory with hard limits (entries, bytes per file, bytes overall) and only
regular files count, so a hostile archive cannot exhaust anything; a patch is already a diff and
is shown as one.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
import zipfile
from dataclasses import dataclass, field

from models.reviews import Attachment
from models.tickets import Submission
from reviews.attachments import read_attachment
from reviews.diffs import DiffLine, line_diff

MAX_ENTRIES = 2_000
MAX_FILE_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024


class FixDiffError(ValueError):
    """The attachment cannot be shown as a diff (message for the reader)."""


@dataclass
class FileDiff:
    path: str
    status: str  # "modified" | "added" | "removed" | "binary"
    lines: list[DiffLine] = field(default_factory=list)


def _zip_members(data: bytes) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_ENTRIES:
            raise FixDiffError("The archive has too many files to compare.")
        total = 0
        for info in infos:
            if info.file_size > MAX_FILE_BYTES:
                continue
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise FixDiffError("The archive is too large to compare.")
            out[info.filename] = archive.read(info)[:MAX_FILE_BYTES]
    return out


def _tar_members(data: bytes) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        total = 0
        for count, member in enumerate(archive):
            if count >= MAX_ENTRIES:
                raise FixDiffError("The archive has too many files to compare.")
            if not member.isreg() or member.size > MAX_FILE_BYTES:
                continue
            total += member.size
            if total > MAX_TOTAL_BYTES:
                raise FixDiffError("The archive is too large to compare.")
            extracted = archive.extractfile(member)
            if extracted is not None:
                out[member.name] = extracted.read(MAX_FILE_BYTES)
    return out


def _normalise(members: dict[str, bytes], known: set[str]) -> dict[str, bytes]:
    """Drop unsafe names, and a single wrapping folder the submitted code does not have."""
    safe = {}
    for name, data in members.items():
        clean = posixpath.normpath(name.lstrip("/"))
        if clean.startswith("..") or clean == ".":
            continue
        safe[clean] = data
    tops = {name.split("/", 1)[0] for name in safe}
    if len(tops) == 1 and all("/" in n for n in safe) and not (set(safe) & known):
        safe = {name.split("/", 1)[1]: data for name, data in safe.items()}
    return safe


def _text(data: bytes) -> str | None:
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def patch_lines(text: str) -> list[DiffLine]:
    out = []
    for raw in text.splitlines():
        if raw.startswith(("+++", "---", "diff ", "index ")) or raw.startswith("@@"):
            out.append(DiffLine("hunk", raw))
        elif raw.startswith("+"):
            out.append(DiffLine("add", raw[1:]))
        elif raw.startswith("-"):
            out.append(DiffLine("del", raw[1:]))
        else:
            out.append(DiffLine("context", raw[1:] if raw.startswith(" ") else raw))
    return out


def diff_attachment(ticket: Submission, attachment: Attachment) -> list[FileDiff]:
    """The changes the attachment makes to the submitted code, file by file."""
    from intake.code import list_files, read_file

    data = read_attachment(attachment)
    if attachment.kind == "patch":
        text = _text(data)
        if text is None:
            raise FixDiffError("The patch is not UTF-8 text.")
        return [FileDiff(attachment.filename, "patch", patch_lines(text))]
    if attachment.kind != "fixed_code":
        raise FixDiffError("Only fixed code and patches can be shown as a diff.")
    try:
        members = _zip_members(data) if data[:4] == b"PK\x03\x04" else _tar_members(data)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise FixDiffError("The archive could not be read.") from exc
    originals = {f.path: f for f in list_files(ticket)}
    fixed = _normalise(members, set(originals))
    diffs: list[FileDiff] = []
    for path in sorted(set(fixed) | set(originals)):
        if path not in fixed:
            continue  # a fix archive may carry only the files it changes
        new = _text(fixed[path])
        if path not in originals:
            diffs.append(
                FileDiff(path, "added", line_diff("", new or ""))
                if new is not None
                else FileDiff(path, "binary")
            )
            continue
        old = _text(read_file(ticket, path)) if not originals[path].is_binary else None
        if new is None or old is None:
            diffs.append(FileDiff(path, "binary"))
            continue
        lines = line_diff(old, new)
        if lines:
            diffs.append(FileDiff(path, "modified", lines))
    return diffs
