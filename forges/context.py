"""The settings forge code works with outside a request (jobs take ids, not settings).

The app factory (through the webhook blueprints) and tests install the process's settings
here; a worker that never built an app falls back to reading the environment.
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
