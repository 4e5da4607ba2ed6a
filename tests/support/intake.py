"""Fixtures for the intake tests: a private storage directory and the settings intake uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from intake import context
from settings import Settings


@pytest.fixture(name="intake_settings")
def intake_settings_fixture(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """The app's test settings, installed as the settings jobs and storage read."""
    previous = context._settings
    context.configure(settings)
    try:
        yield settings
    finally:
        context._settings = previous


def write_tree(root: Path, files: dict[str, bytes | str]) -> Path:
    """Create ``files`` (relative path -> content) under ``root``; returns ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root
