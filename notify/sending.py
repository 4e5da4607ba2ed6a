"""Handing one message to the backend, with tenacity retries on provider errors.

Short waits happen here (backoff, or the provider's ``Retry-After`` when it is short); a long
outage is handed back to the outbox as ``RetryLater`` by the job, so no worker sleeps for it.
"""

from __future__ import annotations

import logging

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
)

from notify.backends.base import EmailBackend, OutgoingEmail, TransientEmailError
from settings import Settings

log = logging.getLogger(__name__)

# A provider asking us to wait longer than this is answered by rescheduling the job instead.
MAX_INLINE_WAIT = 30.0


def backoff(settings: Settings, attempt: int) -> float:
    return min(3600.0, settings.email_retry_wait_seconds * (2 ** max(0, attempt - 1)))


def reschedule_delay(settings: Settings, attempt: int) -> float:
    """Between delivery jobs: 30x the inline backoff (30 s, 1 min, 2 min ... capped at an hour),
    so the default attempt budget rides out an outage of several hours."""
    return min(3600.0, 30 * backoff(settings, attempt))


def _asks_for_long_wait(state: RetryCallState) -> bool:
    exc = state.outcome.exception() if state.outcome else None
    retry_after = getattr(exc, "retry_after", None)
    return retry_after is not None and retry_after > MAX_INLINE_WAIT


def send_with_retries(
    settings: Settings, backend: EmailBackend, email: OutgoingEmail
) -> str | None:
    """Send, retrying transient failures; re-raises the last ``TransientEmailError``."""

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None) or 0.0
        return min(MAX_INLINE_WAIT, max(backoff(settings, state.attempt_number), retry_after))

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("%s send failed (%s), retrying", backend.name, exc)

    retrying = Retrying(
        retry=retry_if_exception_type(TransientEmailError),
        stop=stop_after_attempt(max(1, settings.email_retry_attempts)) | _asks_for_long_wait,
        wait=wait,
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(backend.send, email)
