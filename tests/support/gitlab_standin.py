"""A small local server that answers like GitLab's REST API (v4) for python-gitlab.

It checks the ``PRIVATE-TOKEN`` of every request, answers the handful of endpoints the bot
uses, and records anything else it is asked as a violation (the fixture fails the test).
"""

from __future__ import annotations

import base64
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.support.hostile import tar_gz_bytes
from tests.support.standin_server import StandInServer, json_response

DEVELOPER = 30


@dataclass
class Project:
    id: int
    path_with_namespace: str
    default_branch: str = "main"
    files: dict[str, str] = field(default_factory=dict)
    members: dict[int, int] = field(default_factory=dict)  # user id -> access level


class GitLabStandIn(StandInServer):
    def __init__(self, token: str = "glpat-standin-token"):  # noqa: S107
        super().__init__()
        self.valid_tokens = {token}
        self.projects: dict[int, Project] = {}
        self.users: dict[str, int] = {}  # username -> id
        self.notes: list[dict[str, Any]] = []
        self.statuses: list[dict[str, Any]] = []
        self.reviewer_updates: list[dict[str, Any]] = []
        self._ids = itertools.count(5000)
        self._routes = [
            ("GET", r"/api/v4/projects/(?P<pid>\d+|[^/]+/[^/]+)", self.get_project),
            ("GET", r"/api/v4/projects/(?P<pid>\d+)/repository/commits/(?P<ref>.+)", self.commit),
            ("GET", r"/api/v4/projects/(?P<pid>\d+)/repository/files/(?P<path>.+)", self.get_file),
            ("GET", r"/api/v4/projects/(?P<pid>\d+)/members/all/(?P<uid>\d+)", self.member),
            ("GET", r"/api/v4/users", self.find_users),
            (
                "POST",
                r"/api/v4/projects/(?P<pid>\d+)/merge_requests/(?P<iid>\d+)/notes",
                self.add_note,
            ),
            ("PUT", r"/api/v4/projects/(?P<pid>\d+)/merge_requests/(?P<iid>\d+)", self.update_mr),
            ("POST", r"/api/v4/projects/(?P<pid>\d+)/statuses/(?P<sha>[0-9a-f]+)", self.set_status),
            ("GET", r"/api/v4/projects/(?P<pid>\d+)/repository/archive(\.tar\.gz)?", self.archive),
        ]

    def add_project(self, project_id: int, path: str, **fields: Any) -> Project:
        self.projects[project_id] = Project(project_id, path, **fields)
        return self.projects[project_id]

    def note_bodies(self, iid: int | None = None) -> list[str]:
        return [n["body"] for n in self.notes if iid is None or n["iid"] == iid]

    def revoke_tokens(self) -> None:
        self.valid_tokens.clear()

    def handle(self, request: Request) -> Response:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if request.headers.get("PRIVATE-TOKEN") not in self.valid_tokens and (
            bearer not in self.valid_tokens
        ):
            return json_response(401, {"message": "401 Unauthorized"})
        for method, pattern, handler in self._routes:
            match = re.fullmatch(pattern, request.path)
            if match and method == request.method:
                return handler(request, **{k: v for k, v in match.groupdict().items() if v})
        self.violations.append(f"unexpected GitLab call {request.method} {request.path}")
        return json_response(404, {"message": "404 Not Found"})

    def _project(self, pid: str) -> Project | None:
        if pid.isdigit():
            return self.projects.get(int(pid))
        return next((p for p in self.projects.values() if p.path_with_namespace == pid), None)

    def commit(self, request: Request, pid: str, ref: str) -> Response:
        project = self._project(pid)
        if project is None:
            return json_response(404, {"message": "404 Project Not Found"})
        return json_response(200, {"id": ref if len(ref) == 40 else "0" * 40})

    def _body(self, request: Request) -> dict[str, Any]:
        if request.is_json:
            return request.get_json()
        return request.form.to_dict()

    def get_project(self, request: Request, pid: str) -> Response:
        project = self._project(pid)
        if project is None:
            return json_response(404, {"message": "404 Project Not Found"})
        return json_response(
            200,
            {
                "id": project.id,
                "path_with_namespace": project.path_with_namespace,
                "default_branch": project.default_branch,
            },
        )

    def get_file(self, request: Request, pid: str, path: str) -> Response:
        project = self._project(pid)
        if project is None or path not in project.files:
            return json_response(404, {"message": "404 File Not Found"})
        if request.args.get("ref") != project.default_branch:
            self.violations.append(f"file read at ref {request.args.get('ref')!r}")
        content = base64.b64encode(project.files[path].encode()).decode()
        return json_response(
            200,
            {
                "file_name": path.rsplit("/", 1)[-1],
                "file_path": path,
                "encoding": "base64",
                "content": content,
                "ref": project.default_branch,
                "size": len(project.files[path]),
            },
        )

    def member(self, request: Request, pid: str, uid: str) -> Response:
        project = self._project(pid)
        level = project.members.get(int(uid)) if project else None
        if level is None:
            return json_response(404, {"message": "404 Not found"})
        return json_response(200, {"id": int(uid), "access_level": level})

    def find_users(self, request: Request) -> Response:
        name = request.args.get("username", "")
        if name in self.users:
            return json_response(200, [{"id": self.users[name], "username": name}])
        return json_response(200, [])

    def add_note(self, request: Request, pid: str, iid: str) -> Response:
        note = {
            "id": next(self._ids),
            "project_id": int(pid),
            "iid": int(iid),
            "body": self._body(request)["body"],
        }
        self.notes.append(note)
        return json_response(201, note)

    def update_mr(self, request: Request, pid: str, iid: str) -> Response:
        body = self._body(request)
        self.reviewer_updates.append({"iid": int(iid), **body})
        return json_response(200, {"iid": int(iid), "project_id": int(pid), **body})

    def set_status(self, request: Request, pid: str, sha: str) -> Response:
        body = self._body(request)
        if body.get("state") not in {"pending", "running", "success", "failed", "canceled"}:
            self.violations.append(f"bad commit status state {body.get('state')!r}")
            return json_response(400, {"message": "state is invalid"})
        status = {"id": next(self._ids), "sha": sha, "project_id": int(pid), **body}
        self.statuses.append(status)
        return json_response(201, status)

    def archive(self, request: Request, pid: str, **_: str) -> Response:
        project = self._project(pid)
        if project is None:
            return json_response(404, {"message": "404 Project Not Found"})
        top = f"project-{request.args.get('sha', 'main')}"
        files = {f"{top}/{name}": text.encode() for name, text in project.files.items()}
        return Response(tar_gz_bytes(files), mimetype="application/x-gzip")
