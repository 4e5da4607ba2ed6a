"""The settings intake works with, outside a request (jobs, CLI, storage).

Jobs take ids, not objects, so they cannot be handed a ``Settings``. The app factory (through
the intake blueprint) and tests install the process's settings here; a worker that never
built an app falls back to reading the environment, as ``worker.py`` itself does.
"""

from __future__ import annotations

from settings import Settings, load_settings

_settings: Settings | None = None


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings


def current_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings
