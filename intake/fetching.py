"""Fetching a repository's archive at a resolved commit, from GitHub or GitLab.

GitHub: ``repos/{owner}/{repo}`` (exists?), ``commits/{ref}`` (which commit?), ``tarball/{sha}``
(a redirect to the archive). GitLab: ``projects/:id``, ``repository/commits/:ref``,
``repository/archive.tar.gz?sha=``. The download streams to disk under ``MAX_UPLOAD_BYTES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from forges.errors import ForgeError, ForgeUnavailable, TooLarge
from forges.http import ForgeClient
from intake.archives import TOO_LARGE
from intake.jobs import FetchFailed, FetchRefused
from intake.repos import NOT_FOUND, gitlab_project_path
from models.tickets import SourceKind, Submission
from settings import Settings

USER_AGENT = "Vetted (code intake)"


@dataclass(frozen=True)
class Fetched:
    path: Path
    commit: str


def _token(ticket: Submission | None) -> str | None:
    if ticket is None:
        return None
    try:
        from forges.credentials import access_token_for
    except ImportError:
        return None
    return access_token_for(ticket)


def client_for(
    settings: Settings,
    forge: str,
    token: str | None = None,
    *,
    max_attempts: int | None = None,
    max_wait: float = 60.0,
) -> ForgeClient:
    attempts = max_attempts or settings.forge_max_attempts
    timeout = (min(5.0, settings.forge_timeout_seconds), settings.forge_timeout_seconds)
    if forge == "github":
        return ForgeClient(
            settings.github_api_url,
            token=token,
            auth_scheme="token",
            user_agent=USER_AGENT,
            timeout=timeout,
            max_attempts=attempts,
            max_wait=max_wait,
            extra_headers={"Accept": "application/vnd.github+json"},
        )
    return ForgeClient(
        settings.gitlab_url.rstrip("/") + "/api/v4",
        token=token,
        auth_scheme="Bearer",
        user_agent=USER_AGENT,
        timeout=timeout,
        max_attempts=attempts,
        max_wait=max_wait,
    )


def _github(client: ForgeClient, full_name: str, ref: str | None, dest: Path, limit: int) -> str:
    repo = client.get_json(f"repos/{full_name}")
    wanted = ref or repo.get("default_branch") or "HEAD"
    sha = client.get_json(f"repos/{full_name}/commits/{wanted}")["sha"]
    client.download(f"repos/{full_name}/tarball/{sha}", dest, limit)
    return sha


def _gitlab(client: ForgeClient, full_name: str, ref: str | None, dest: Path, limit: int) -> str:
    project = client.get_json(f"projects/{gitlab_project_path(full_name)}")
    pid = project["id"]
    wanted = ref or project.get("default_branch") or "HEAD"
    sha = client.get_json(f"projects/{pid}/repository/commits/{wanted}")["id"]
    client.download(f"projects/{pid}/repository/archive.tar.gz", dest, limit, params={"sha": sha})
    return sha


def fetch_repository(
    settings: Settings, forge: str, full_name: str, ref: str | None, dest: Path, token=None
) -> Fetched:  # type: ignore[no-untyped-def]
    """Download the archive; ``FetchRefused`` (reject), ``FetchFailed`` (forge down) or
    ``forges.errors.RateLimited`` (wait and retry) when it cannot."""
    client = client_for(settings, forge, token)
    fetch = _github if forge == "github" else _gitlab
    try:
        sha = fetch(client, full_name, ref, dest, settings.max_upload_bytes)
    except TooLarge:
        raise FetchRefused(TOO_LARGE, "too_large") from None
    except ForgeUnavailable:
        raise FetchFailed(full_name) from None
    except ForgeError:
        # 404, 401, and 403 without a rate limit: missing, private, or not ours to read
        raise FetchRefused(NOT_FOUND, "repo_not_found") from None
    except (KeyError, TypeError, ValueError):
        raise FetchFailed(f"unexpected answer from {forge}") from None
    return Fetched(dest, sha)


def fetch_ticket_archive(settings: Settings, ticket: Submission, dest: Path) -> Fetched:
    forge = ticket.forge or "github"
    if not ticket.repo_full_name:
        raise FetchRefused(NOT_FOUND, "repo_not_found")
    ref = ticket.repo_ref
    if ticket.source in (SourceKind.GITHUB_PR.value, SourceKind.GITLAB_MR.value):
        ref = ticket.head_sha or ref
    name = ticket.repo_full_name
    if forge == "gitlab" and ticket.forge_project_id:
        name = str(ticket.forge_project_id)  # GitLab accepts the numeric id for the path
    return fetch_repository(settings, forge, name, ref, dest, _token(ticket))
