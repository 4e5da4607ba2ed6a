"""The settings notification jobs run with.

Jobs take ids, not settings, so they need the process's settings from somewhere: the web app
hands them over when it registers the notifications blueprint; a bare worker reads the
environment the same way the worker itself does.
"""

from __future__ import annotations

from pathlib import Path

from settings import Settings, development_secret, load_settings

_active: Settings | None = None


def use_settings(settings: Settings) -> None:
    global _active
    _active = settings


def current_settings() -> Settings:
    global _active
    if _active is None:
        settings = load_settings()
        if not settings.secret_key and not settings.is_production:
            secret = development_secret(Path(settings.var_dir), "secret_key")
            settings = settings.with_overrides(secret_key=secret)
        _active = settings
    return _active
