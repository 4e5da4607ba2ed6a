"""Repository URLs: which forge, which repository, which ref; and fetching the archive.

Only GitHub (github.com) and GitLab (gitlab.com or the configured ``GITLAB_URL``) are accepted.
Every call goes through the one forge HTTP policy (``forges.http.ForgeClient``): retries with
backoff and jitter on timeouts, connection errors and 5xx; ``Retry-After`` respected; other 4xx
never retried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from settings import Settings

UNSUPPORTED = "Only GitHub and GitLab repository URLs are supported"
NOT_FOUND = "Repository not found or not accessible"
NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


class RepoUrlError(ValueError):
    def __init__(self, message: str = UNSUPPORTED):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RepoRef:
    forge: str  # github | gitlab
    full_name: str  # owner/repo, or group/subgroup/project on GitLab
    ref: str | None
    url: str

    @property
    def owner(self) -> str:
        return self.full_name.rsplit("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.rsplit("/", 1)[1]


def _hosts(settings: Settings) -> dict[str, str]:
    hosts = {"github.com": "github", "www.github.com": "github", "gitlab.com": "gitlab"}
    for url, forge in ((settings.github_web_url, "github"), (settings.gitlab_url, "gitlab")):
        host = urlsplit(url).netloc.lower()
        if host:
            hosts[host] = forge
    return hosts


def parse_repo_url(settings: Settings, text: str) -> RepoRef:
    """``https://github.com/o/r``, ``.../tree/<ref>``, ``.git`` suffix; GitLab ``/-/tree/<ref>``."""
    text = (text or "").strip()
    parts = urlsplit(text if "://" in text else f"https://{text}")
    if parts.scheme not in ("https", "http") or parts.username or parts.password:
        raise RepoUrlError()
    forge = _hosts(settings).get(parts.netloc.lower())
    if forge is None:
        raise RepoUrlError()
    segments = [s for s in parts.path.split("/") if s]
    ref = None
    if forge == "github":
        if len(segments) < 2:
            raise RepoUrlError(
                "Please give the repository's URL, like https://github.com/owner/repo"
            )
        path, rest = segments[:2], segments[2:]
        if rest:
            if rest[0] != "tree" or len(rest) < 2:
                raise RepoUrlError("Please give the repository's URL, optionally with /tree/<ref>")
            ref = "/".join(rest[1:])
    else:
        if "-" in segments:
            cut = segments.index("-")
            path, rest = segments[:cut], segments[cut + 1 :]
            if not rest or rest[0] != "tree" or len(rest) < 2:
                raise RepoUrlError("Please give the project's URL, optionally with /-/tree/<ref>")
            ref = "/".join(rest[1:])
        else:
            path = segments
        if len(path) < 2:
            raise RepoUrlError(
                "Please give the project's URL, like https://gitlab.com/group/project"
            )
    path = list(path)
    path[-1] = path[-1].removesuffix(".git")
    if not all(NAME_RE.match(p) and p not in (".", "..") for p in path):
        raise RepoUrlError()
    if ref is not None and (".." in ref or len(ref) > 255 or not re.match(r"^[\w./\-]+$", ref)):
        raise RepoUrlError("That branch, tag or commit name is not valid.")
    full_name = "/".join(path)
    base = f"{parts.scheme}://{parts.netloc.lower()}"
    canonical = f"{base}/{full_name}" + (
        "" if ref is None else (f"/tree/{ref}" if forge == "github" else f"/-/tree/{ref}")
    )
    return RepoRef(forge, full_name, ref, canonical)


def gitlab_project_path(full_name: str) -> str:
    return quote(full_name, safe="")
