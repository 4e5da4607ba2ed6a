"""Likely secrets in submitted code: the developer is warned (the code is not refused).

A warning names the kind of secret, the file and the line, never the value.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

PATTERNS: list[tuple[str, re.Pattern[bytes]]] = [
    ("private key", re.compile(rb"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY(?: BLOCK)?-----")),
    ("AWS access key ID", re.compile(rb"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    (
        "AWS secret access key",
        re.compile(rb"(?i)aws_?secret_?access_?key\W{0,4}[A-Za-z0-9/+=]{40}\b"),
    ),
    ("GitHub token", re.compile(rb"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})")),
    ("GitLab token", re.compile(rb"\bglpat-[A-Za-z0-9_\-]{20,}")),
    ("Slack token", re.compile(rb"\bxox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("Slack webhook URL", re.compile(rb"https://hooks\.slack\.com/services/T\w+/B\w+/\w+")),
    ("Google API key", re.compile(rb"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("Stripe secret key", re.compile(rb"\b[sr]k_live_[0-9A-Za-z]{20,}")),
    ("SendGrid API key", re.compile(rb"\bSG\.[\w\-]{22}\.[\w\-]{43}\b")),
]

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_WARNINGS = 20


def find_in_text(data: bytes) -> list[tuple[str, int]]:
    """(kind, line number) for every likely secret in ``data``."""
    found = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(data):
            found.append((kind, data.count(b"\n", 0, match.start()) + 1))
    return sorted(found, key=lambda item: item[1])


def scan_tree_for_secrets(root: Path) -> list[str]:
    """Warnings, in words, for the ticket page (at most ``MAX_WARNINGS`` plus a summary)."""
    warnings: list[str] = []
    extra = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or path.stat().st_size > MAX_FILE_BYTES:
                continue
            data = path.read_bytes()
            if b"\0" in data[:8192]:
                continue
            rel = path.relative_to(root).as_posix()
            for kind, line in find_in_text(data):
                if len(warnings) < MAX_WARNINGS:
                    warnings.append(
                        f"Possible {kind} in {rel} (line {line}). "
                        "If it is real, revoke it: it has left your machine."
                    )
                else:
                    extra += 1
    if extra:
        warnings.append(f"…and {extra} more possible secret(s).")
    return warnings
