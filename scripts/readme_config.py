"""Rewrite the README's configuration table from ``scripts/envdoc.py`` (``make docs``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- config:start -->", "<!-- config:end -->"


def main() -> None:
    table = subprocess.run(  # noqa: S603 - our own script, run by the same interpreter
        [sys.executable, str(ROOT / "scripts" / "envdoc.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    readme = ROOT / "README.md"
    text = readme.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    readme.write_text(f"{head}{START}\n{table}{END}{tail}")


if __name__ == "__main__":
    main()
