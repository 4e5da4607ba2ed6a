"""Authenticating as the GitHub App: an RS256 JWT, exchanged for installation access tokens.

Tokens are cached per process until shortly before they expire and dropped on a 401, so a
revoked or expired token costs one extra exchange, never a failed job. Token lengths vary
(GitHub says not to assume one), so nothing here inspects them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from forges.errors import ForgeError, NotFound
from forges.http import ForgeClient
from models.forges import GitHubAppCredentials
from settings import Settings

JWT_BACKDATE_SECONDS = 60  # GitHub's clocks may be a little behind ours
JWT_LIFETIME_SECONDS = 540  # GitHub refuses an ``exp`` more than 10 minutes ahead
REFRESH_MARGIN_SECONDS = 300  # renew a token this long before GitHub says it expires
USER_AGENT = "Vetted-GitHub-App"


class AppNotConfigured(RuntimeError):
    """No App id / private key: neither registered through the manifest flow nor configured."""


class InstallationGone(ForgeError):
    """The installation was removed or suspended: its tokens can no longer be had."""


@dataclass(frozen=True)
class AppCredentials:
    app_id: str
    private_key: str
    webhook_secret: str = ""
    slug: str = ""


def app_credentials(session: Session, settings: Settings) -> AppCredentials:
    """The environment's App if configured by hand, else the one the manifest flow stored."""
    if settings.github_app_id and settings.github_private_key:
        key = private_key_text(settings.github_private_key)
        return AppCredentials(
            settings.github_app_id, key, settings.github_webhook_secret, settings.github_app_slug
        )
    stored = session.scalar(
        select(GitHubAppCredentials).order_by(GitHubAppCredentials.id.desc()).limit(1)
    )
    if stored is None:
        raise AppNotConfigured("The GitHub App is not registered yet (see README).")
    return AppCredentials(stored.app_id, stored.private_key, stored.webhook_secret, stored.slug)


def private_key_text(value: str) -> str:
    """GITHUB_PRIVATE_KEY holds PEM text (``\\n`` escapes allowed) or a path to the .pem file."""
    if "BEGIN" not in value and Path(value).is_file():
        return Path(value).read_text()
    return value.replace("\\n", "\n")


def app_jwt(credentials: AppCredentials, now: float | None = None) -> str:
    now = int(time.time() if now is None else now)
    claims = {
        "iat": now - JWT_BACKDATE_SECONDS,
        "exp": now + JWT_LIFETIME_SECONDS,
        "iss": str(credentials.app_id),
    }
    return jwt.encode(claims, credentials.private_key, algorithm="RS256")


class TokenCache:
    """Installation tokens by (API URL, installation id), with their expiry."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, int], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> str | None:
        with self._lock:
            found = self._tokens.get(key)
        if found and found[1] - REFRESH_MARGIN_SECONDS > time.time():
            return found[0]
        return None

    def put(self, key: tuple[str, int], token: str, expires_at: float) -> None:
        with self._lock:
            self._tokens[key] = (token, expires_at)

    def drop(self, key: tuple[str, int]) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


TOKENS = TokenCache()


def _expiry(text: str | None) -> float:
    if not text:
        return time.time() + 3600
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def installation_token(
    settings: Settings, credentials: AppCredentials, installation_id: int, *, refresh: bool = False
) -> str:
    """A working access token for the installation (cached; ``refresh`` forces a new one)."""
    key = (settings.github_api_url, int(installation_id))
    if not refresh:
        cached = TOKENS.get(key)
        if cached:
            return cached
    client = ForgeClient(
        settings.github_api_url,
        token=app_jwt(credentials),
        auth_scheme="Bearer",
        user_agent=USER_AGENT,
        extra_headers={"Accept": "application/vnd.github+json"},
    )
    try:
        body = client.request(
            "POST", f"/app/installations/{int(installation_id)}/access_tokens"
        ).json()
    except NotFound as exc:
        TOKENS.drop(key)
        raise InstallationGone(404, "the GitHub App installation was removed") from exc
    except ForgeError as exc:
        if exc.status == 403:  # suspended
            TOKENS.drop(key)
            raise InstallationGone(403, "the GitHub App installation is suspended") from exc
        raise
    TOKENS.put(key, body["token"], _expiry(body.get("expires_at")))
    return body["token"]


def forget_token(settings: Settings, installation_id: int) -> None:
    TOKENS.drop((settings.github_api_url, int(installation_id)))
