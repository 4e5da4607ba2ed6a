"""One HTTP policy for every call Vetted makes to GitHub or GitLab.

- Timeouts, connection errors and 5xx are retried with exponential backoff and full jitter.
- 403/429 carrying ``Retry-After`` or an exhausted ``x-ratelimit-remaining`` are waited out when
  the wait is short, and raised as ``RateLimited`` when it is long, so a job can be rescheduled
  instead of hammering a forge that asked for quiet.
- Any other 4xx is raised at once (``NotFound``, ``Unauthorized``, ``ForgeError``): retrying
  cannot fix it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from forges.errors import (
    ForgeError,
    ForgeUnavailable,
    NotFound,
    RateLimited,
    TooLarge,
    Unauthorized,
)

log = logging.getLogger(__name__)

DOWNLOAD_CHUNK = 1024 * 1024
AUTH_SCHEMES = ("token", "Bearer", "PRIVATE-TOKEN", "none")


class _Transient(Exception):
    """A failure worth retrying; ``wait`` overrides the backoff when the forge named a time."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.wait = wait


RETRYABLE = (
    _Transient,
    requests.Timeout,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
)


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    if isinstance(body, dict):
        for key in ("message", "error_description", "error"):
            if isinstance(body.get(key), str):
                return body[key]
    return response.reason or ""


def rate_limit_wait(response: requests.Response, now: float | None = None) -> float | None:
    """Seconds the forge asks us to wait, or None when this is not a rate-limit answer."""
    now = time.time() if now is None else now
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(retry_after).timestamp() - now)
            except (TypeError, ValueError):
                return None
    remaining = response.headers.get("x-ratelimit-remaining") or response.headers.get(
        "RateLimit-Remaining"
    )
    reset = response.headers.get("x-ratelimit-reset") or response.headers.get("RateLimit-Reset")
    if remaining == "0" and reset:
        try:
            return max(0.0, float(reset) - now) + 1.0
        except ValueError:
            return None
    if response.status_code == 429:
        return 60.0
    return None


class ForgeClient:
    """A ``requests`` session aimed at one forge API, with Vetted's retry policy."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        auth_scheme: str = "token",
        user_agent: str = "Vetted",
        timeout: tuple[float, float] = (5.0, 30.0),
        max_attempts: int = 5,
        max_wait: float = 60.0,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        extra_headers: dict[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if auth_scheme not in AUTH_SCHEMES:
            raise ValueError(f"auth_scheme must be one of {AUTH_SCHEMES}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self._backoff = wait_random_exponential(multiplier=backoff_base, max=backoff_max)
        self._sleep = sleep
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.session.headers.update(extra_headers or {})
        if token and auth_scheme == "PRIVATE-TOKEN":
            self.session.headers["PRIVATE-TOKEN"] = token
        elif token and auth_scheme != "none":
            self.session.headers["Authorization"] = f"{auth_scheme} {token}"

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return f"{self.base_url}/{path_or_url.lstrip('/')}"

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.wait is not None:
            return exc.wait
        return self._backoff(state)

    def _check(self, response: requests.Response) -> requests.Response:
        status = response.status_code
        if status < 400:
            return response
        if status in (403, 429):
            wait = rate_limit_wait(response)
            if wait is not None:
                response.close()
                if wait > self.max_wait:
                    retry_at = datetime.now(UTC) + timedelta(seconds=wait)
                    raise RateLimited(retry_at, wait)
                raise _Transient(f"rate limited ({status}), waiting {wait:.1f}s", wait)
        if status >= 500:
            response.close()
            raise _Transient(f"{status} from {response.url}")
        message = _error_message(response)
        response.close()
        if status == 404:
            raise NotFound(status, message)
        if status == 401:
            raise Unauthorized(status, message)
        raise ForgeError(status, message)

    def _retrying(self, attempt: Callable[[], Any]) -> Any:
        retrying = Retrying(
            retry=retry_if_exception_type(RETRYABLE),
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
            before_sleep=lambda s: log.warning(
                "forge call failed (%s), retry %d", s.outcome.exception(), s.attempt_number
            ),
        )
        try:
            return retrying(attempt)
        except RETRYABLE as exc:
            raise ForgeUnavailable(str(exc)) from exc

    def request(self, method: str, path_or_url: str, **kwargs: Any) -> requests.Response:
        """Send one request under the policy; returns a successful (< 400) response."""
        url = self.url(path_or_url)
        kwargs.setdefault("timeout", self.timeout)

        def attempt() -> requests.Response:
            return self._check(self.session.request(method, url, **kwargs))

        return self._retrying(attempt)

    def get_json(self, path_or_url: str, **kwargs: Any) -> Any:
        return self.request("GET", path_or_url, **kwargs).json()

    def download(self, path_or_url: str, dest: Path, max_bytes: int, **kwargs: Any) -> int:
        """Stream a (possibly redirected) download to ``dest``; never more than ``max_bytes``.

        Redirects to another host (GitHub's codeload, object storage) drop our Authorization
        header, as ``requests`` does for cross-host redirects.
        """
        url = self.url(path_or_url)
        kwargs.setdefault("timeout", self.timeout)

        def attempt() -> int:
            with self._check(self.session.get(url, stream=True, **kwargs)) as response:
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise TooLarge(max_bytes)
                written = 0
                try:
                    with open(dest, "wb") as out:
                        for chunk in response.iter_content(DOWNLOAD_CHUNK):
                            written += len(chunk)
                            if written > max_bytes:
                                raise TooLarge(max_bytes)
                            out.write(chunk)
                except BaseException:
                    dest.unlink(missing_ok=True)
                    raise
                return written

        return self._retrying(attempt)
