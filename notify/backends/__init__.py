"""E-mail backends, chosen by ``EMAIL_BACKEND``: ``console`` (default), ``smtp``, ``sendgrid``."""

from __future__ import annotations

from notify.backends.base import (
    EmailBackend,
    OutgoingEmail,
    PermanentEmailError,
    TransientEmailError,
)
from settings import Settings

BACKENDS = ("console", "smtp", "sendgrid")


def get_backend(settings: Settings) -> EmailBackend:
    name = (settings.email_backend or "console").strip().lower()
    if name == "console":
        from notify.backends.console import ConsoleBackend

        return ConsoleBackend(settings)
    if name == "smtp":
        from notify.backends.smtp import SmtpBackend

        return SmtpBackend(settings)
    if name == "sendgrid":
        from notify.backends.sendgrid_api import SendGridBackend

        return SendGridBackend(settings)
    raise PermanentEmailError(f"EMAIL_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")


__all__ = [
    "BACKENDS",
    "EmailBackend",
    "OutgoingEmail",
    "PermanentEmailError",
    "TransientEmailError",
    "get_backend",
]
