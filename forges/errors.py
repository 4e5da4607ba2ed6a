"""What can go wrong talking to a forge, in terms a caller can act on."""

from __future__ import annotations

from datetime import datetime


class ForgeError(Exception):
    """The forge answered with an error that retrying will not fix (a 4xx)."""

    def __init__(self, status: int, message: str = ""):
        super().__init__(f"{status}: {message}" if message else str(status))
        self.status = status
        self.message = message


class NotFound(ForgeError):
    """404: missing, or private and not visible with our credentials (forges do not say which)."""


class Unauthorized(ForgeError):
    """401: the credentials were refused (expired token, removed installation)."""


class RateLimited(Exception):
    """The forge asked us to wait longer than we wait inline; try again at ``retry_at``."""

    def __init__(self, retry_at: datetime, seconds: float):
        super().__init__(f"rate limited for {seconds:.0f}s")
        self.retry_at = retry_at
        self.seconds = seconds


class ForgeUnavailable(Exception):
    """Timeouts, connection errors or 5xx kept happening until the retries ran out."""


class TooLarge(Exception):
    """A download went past the size limit (it was stopped and the partial file removed)."""

    def __init__(self, limit: int):
        super().__init__(f"download exceeds {limit} bytes")
        self.limit = limit
