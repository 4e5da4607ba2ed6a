"""Small line diffs: a suggestion against the lines it replaces, a fix against the original."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "context" | "add" | "del" | "hunk"
    text: str

    @property
    def sign(self) -> str:
        return {"add": "+", "del": "-", "hunk": ""}.get(self.kind, " ")


def line_diff(before: str, after: str, *, context: int = 3) -> list[DiffLine]:
    """A unified diff as typed lines (empty when nothing changed)."""
    out: list[DiffLine] = []
    old, new = before.splitlines(), after.splitlines()
    for raw in difflib.unified_diff(old, new, lineterm="", n=context):
        if raw.startswith(("---", "+++")):
            continue
        if raw.startswith("@@"):
            out.append(DiffLine("hunk", raw))
        elif raw.startswith("+"):
            out.append(DiffLine("add", raw[1:]))
        elif raw.startswith("-"):
            out.append(DiffLine("del", raw[1:]))
        else:
            out.append(DiffLine("context", raw[1:]))
    return out


def suggestion_diff(original_lines: list[str], suggestion: str) -> list[DiffLine]:
    """The selected lines, then their replacement: every line shown, no hunk headers."""
    return [DiffLine("del", line) for line in original_lines] + [
        DiffLine("add", line) for line in suggestion.splitlines()
    ]
