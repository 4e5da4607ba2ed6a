"""What the bot does on a GitHub pull request, through gidgethub (see forges.github_api)."""

from __future__ import annotations

import base64
from typing import Any

from bot.config import RepoConfig, parse_config
from forges.errors import ForgeError, NotFound
from forges.github_api import GitHub

WRITE_PERMISSIONS = {"admin", "maintain", "write"}
CHECK_NAME = "Vetted audit"


class GitHubPR:
    def __init__(self, gh: GitHub, repo: str, number: int):
        self.gh = gh
        self.owner, _, self.name = repo.partition("/")
        self.number = number
        self._vars = {"owner": self.owner, "repo": self.name}

    def comment(self, body: str) -> int:
        url = "/repos/{owner}/{repo}/issues/{number}/comments"
        made = self.gh.post(url, {"body": body}, {**self._vars, "number": str(self.number)})
        return int(made["id"])

    def can_write(self, login: str, user_id: int | None = None) -> bool:
        url = "/repos/{owner}/{repo}/collaborators/{username}/permission"
        try:
            found = self.gh.get(url, {**self._vars, "username": login})
        except NotFound:
            return False
        return found.get("permission") in WRITE_PERMISSIONS

    def read_config(self) -> RepoConfig:
        """``.github/vetted.yml`` on the default branch, or the defaults."""
        repo = self.gh.get("/repos/{owner}/{repo}", self._vars)
        try:
            found = self.gh.get(
                "/repos/{owner}/{repo}/contents/{+path}{?ref}",
                {**self._vars, "path": ".github/vetted.yml", "ref": repo["default_branch"]},
            )
        except NotFound:
            return RepoConfig()
        if not isinstance(found, dict) or found.get("encoding") != "base64":
            return RepoConfig(problems=(".github/vetted.yml is not a file.",))
        return parse_config(base64.b64decode(found["content"]).decode("utf-8", "replace"))

    def set_check(self, check_id: str | None, head_sha: str, fields: dict[str, Any]) -> str:
        """Create the "Vetted audit" check run, or update it; returns its id."""
        if check_id:
            url = "/repos/{owner}/{repo}/check-runs/{check_run_id}"
            self.gh.patch(url, fields, {**self._vars, "check_run_id": check_id})
            return check_id
        body = {"name": CHECK_NAME, "head_sha": head_sha, **fields}
        made = self.gh.post("/repos/{owner}/{repo}/check-runs", body, self._vars)
        return str(made["id"])

    def request_reviewer(self, login: str) -> str:
        """``requested``; ``invited`` then requested; or ``fallback`` (GitHub refused both)."""
        url = "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers"
        url_vars = {**self._vars, "number": str(self.number)}
        try:
            self.gh.post(url, {"reviewers": [login]}, url_vars)
            return "requested"
        except ForgeError as exc:
            if exc.status != 422:
                raise
        try:  # not a collaborator: invite with read access when the App may
            self.gh.put(
                "/repos/{owner}/{repo}/collaborators/{username}",
                {"permission": "pull"},
                {**self._vars, "username": login},
            )
        except ForgeError as exc:
            if exc.status not in (403, 404, 422):
                raise
            return "fallback"
        try:
            self.gh.post(url, {"reviewers": [login]}, url_vars)
        except ForgeError as exc:
            if exc.status != 422:
                raise
            return "fallback"  # invited, but the invitation is not accepted yet
        return "invited"

    def post_review(self, head_sha: str, body: str, comments: list[dict[str, Any]]) -> int:
        url = "/repos/{owner}/{repo}/pulls/{number}/reviews"
        payload: dict[str, Any] = {"commit_id": head_sha, "body": body, "event": "COMMENT"}
        if comments:
            payload["comments"] = comments
        made = self.gh.post(url, payload, {**self._vars, "number": str(self.number)})
        return int(made["id"])

    def head_sha(self) -> str:
        url = "/repos/{owner}/{repo}/pulls/{number}"
        return str(self.gh.get(url, {**self._vars, "number": str(self.number)})["head"]["sha"])
