"""Run every benchmark in bench/ and print one table of their figures (``make bench``).

Each benchmark prints its own figures and ratios against a baseline it measures in the same
run; this collects those lines under the benchmark's name. A benchmark that fails is reported
with its exit code, and the others still run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["upload", "matching", "viewer", "webhooks", "end_to_end"]


def benchmarks() -> list[Path]:
    found = {p.stem: p for p in HERE.glob("*.py") if p.stem not in {"run_all", "__init__"}}
    ordered = [found.pop(name) for name in ORDER if name in found]
    return ordered + sorted(found.values())


def run(path: Path) -> tuple[int, list[str], float]:
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - our own benchmark scripts
        [sys.executable, str(path)],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    lines = [line.rstrip() for line in result.stdout.splitlines() if line.strip()]
    if result.returncode:
        lines.append(f"FAILED (exit {result.returncode}): {result.stderr.strip()[-300:]}")
    return result.returncode, lines, time.monotonic() - started


def main() -> int:
    rows: list[tuple[str, str]] = []
    failed = 0
    for path in benchmarks():
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        code, lines, seconds = run(path)
        failed += bool(code)
        rows.append((path.stem, f"({seconds:.0f} s)"))
        rows.extend(("", line.replace("|", "/")) for line in lines)
    width = max(len(name) for name, _ in rows) if rows else 9
    print(f"| {'benchmark'.ljust(width)} | figures |")
    print(f"|{'-' * (width + 2)}|---------|")
    for name, figure in rows:
        print(f"| {name.ljust(width)} | {figure} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
