"""What the bot does on a GitLab merge request, through python-gitlab (see forges.gitlab_api)."""

from __future__ import annotations

import base64
from typing import Any

import gitlab

from bot.config import RepoConfig, parse_config
from forges.errors import NotFound

DEVELOPER_ACCESS = 30
STATUS_NAME = "Vetted audit"


class GitLabMR:
    def __init__(self, gl: gitlab.Gitlab, project_id: int, iid: int):
        self.gl = gl
        self.project = gl.projects.get(project_id, lazy=True)
        self.project_id = project_id
        self.iid = iid

    def _mr(self):  # type: ignore[no-untyped-def]
        return self.project.mergerequests.get(self.iid, lazy=True)

    def comment(self, body: str) -> int:
        return int(self._mr().notes.create({"body": body}).id)

    def can_write(self, login: str, user_id: int | None = None) -> bool:
        """Developer access or more (GitLab's "can push")."""
        if user_id is None:
            return False
        try:
            member = self.project.members_all.get(user_id)
        except NotFound:
            return False
        return int(member.access_level) >= DEVELOPER_ACCESS

    def read_config(self) -> RepoConfig:
        project = self.gl.projects.get(self.project_id)
        try:
            found = project.files.get(".gitlab/vetted.yml", ref=project.default_branch)
        except NotFound:
            return RepoConfig()
        return parse_config(base64.b64decode(found.content).decode("utf-8", "replace"))

    def set_check(self, check_id: str | None, head_sha: str, fields: dict[str, Any]) -> str:
        """GitLab has commit statuses, not check runs: each change posts the new state."""
        commit = self.project.commits.get(head_sha, lazy=True)
        made = commit.statuses.create({"name": STATUS_NAME, **fields})
        return str(made.id)

    def user_id(self, username: str) -> int | None:
        found = self.gl.users.list(username=username, get_all=False)
        return int(found[0].id) if found else None

    def request_reviewer(self, login: str) -> str:
        uid = self.user_id(login)
        if uid is None:
            return "fallback"
        self.project.mergerequests.update(self.iid, {"reviewer_ids": [uid]})
        return "requested"

    def post_review(self, head_sha: str, body: str, comments: list[dict[str, Any]]) -> int:
        lines = [body, ""]
        for c in comments:
            lines.append(f"**`{c['path']}` line {c['line']}**\n\n{c['body']}\n")
        return self.comment("\n".join(lines).strip())
