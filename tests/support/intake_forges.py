"""A small local HTTP server answering like GitHub's and GitLab's repository APIs.

Repositories (same names on both forges; GitLab paths are ``group/<name>``):

- ``hello``: public; ``main`` resolves to ``SHA``; the tarball redirects (302) to an archive.
- ``private``: 404 without ``Authorization`` (as GitHub answers for private repos), 200 with it.
- ``missing``: 404.
- ``flaky``: the first two calls answer 500, then it behaves like ``hello``.
- ``slow``: every call waits longer than the client's timeout.
- ``limited``: first call 429 with ``Retry-After: 1``, then like ``hello``.
- ``throttled``: always 403 with ``Retry-After: 3600`` (a long rate limit).
- ``huge``: the archive is larger than the test's upload limit.

For the drills it also plays the GitHub App's side of a pull request, without checking tokens:
installation tokens, the PR, the sender's permission, check runs, review requests, and PR
comments, which it keeps (``comments``) so a drill can count them.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.support.hostile import tar_gz_bytes

SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
SLOW_SECONDS = 3.0
FILES = {"hello/app.py": b"import flask\nprint('hello')\n", "hello/requirements.txt": b"flask\n"}


def archive_bytes(files: dict[str, bytes] = FILES) -> bytes:
    return tar_gz_bytes(files)


class FakeForge:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.archive = archive_bytes()
        # every call answers 502 until this monotonic time (a forge outage, for the drills)
        self.outage_until = 0.0
        self.huge = b"\0" * (2 * 1024 * 1024)
        # PR comments posted through the API: (owner/repo, PR number, body)
        self.comments: list[tuple[str, int, str]] = []
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def _handler(self):  # type: ignore[no-untyped-def]
        forge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # type: ignore[no-untyped-def]
                pass

            def do_GET(self):  # type: ignore[no-untyped-def]  # noqa: N802
                forge.requests.append(("GET", self.path, dict(self.headers)))
                forge.route(self)

            def do_POST(self):  # type: ignore[no-untyped-def]  # noqa: N802
                forge.write(self, "POST")

            def do_PATCH(self):  # type: ignore[no-untyped-def]  # noqa: N802
                forge.write(self, "PATCH")

        return Handler

    # -- answering --------------------------------------------------------------------------
    @staticmethod
    def send(handler, status: int, body=None, headers=None) -> None:  # type: ignore[no-untyped-def]
        data = (
            b""
            if body is None
            else (body if isinstance(body, bytes) else json.dumps(body).encode())
        )
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if not isinstance(body, bytes):
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def behaviour(self, handler, name: str) -> bool:  # type: ignore[no-untyped-def]
        """Apply the repository's misbehaviour; True when it already answered."""
        self.calls[name] += 1
        if name == "missing":
            self.send(handler, 404, {"message": "Not Found"})
            return True
        if name == "private" and "Authorization" not in handler.headers:
            self.send(handler, 404, {"message": "Not Found"})
            return True
        if name == "flaky" and self.calls[name] <= 2:
            self.send(handler, 500, {"message": "Server Error"})
            return True
        if name == "slow":
            time.sleep(SLOW_SECONDS)
            self.send(handler, 200, {})
            return True
        if name == "limited" and self.calls[name] == 1:
            self.send(handler, 429, {"message": "slow down"}, {"Retry-After": "1"})
            return True
        if name == "throttled":
            self.send(handler, 403, {"message": "rate limit"}, {"Retry-After": "3600"})
            return True
        return False

    def outage(self, seconds: float) -> None:
        self.outage_until = time.monotonic() + seconds

    def route(self, handler) -> None:  # type: ignore[no-untyped-def]
        if time.monotonic() < self.outage_until:
            self.send(handler, 502, {"message": "Bad Gateway"})
            return
        parts = urlsplit(handler.path)
        path = parts.path
        if path.startswith("/archives/"):
            name = path.split("/")[2]
            body = self.huge if name == "huge" else self.archive
            self.send(handler, 200, body, {"Content-Type": "application/gzip"})
            return
        if path.startswith("/repos/"):
            self.github(handler, path.split("/")[2:])
        elif path.startswith("/api/v4/projects/"):
            self.gitlab(handler, path[len("/api/v4/projects/") :], parse_qs(parts.query))
        else:
            self.send(handler, 404, {"message": "Not Found"})

    def github(self, handler, segments: list[str]) -> None:  # type: ignore[no-untyped-def]
        owner, name, rest = segments[0], segments[1], segments[2:]
        if self.behaviour(handler, name):
            return
        if not rest:
            self.send(handler, 200, {"full_name": f"{owner}/{name}", "default_branch": "main"})
        elif rest[0] == "pulls" and len(rest) == 2:
            pr = {"number": int(rest[1]), "state": "open", "head": {"sha": SHA, "ref": "main"}}
            self.send(handler, 200, pr)
        elif rest[0] == "collaborators" and rest[-1] == "permission":
            self.send(handler, 200, {"permission": "write"})
        elif rest[0] == "commits":
            ref = "/".join(rest[1:])
            if ref in ("main", SHA, "v1.0"):
                self.send(handler, 200, {"sha": SHA})
            else:
                self.send(handler, 422, {"message": f"No commit found for SHA: {ref}"})
        elif rest[0] == "tarball":
            location = f"{self.url}/archives/{name}/{rest[1]}.tar.gz"
            self.send(handler, 302, b"", {"Location": location})
        else:
            self.send(handler, 404, {"message": "Not Found"})

    def write(self, handler, method: str) -> None:  # type: ignore[no-untyped-def]
        """POST and PATCH: what the bot sends about a pull request (all answered while up)."""
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}")
        self.requests.append((method, handler.path, dict(handler.headers)))
        if time.monotonic() < self.outage_until:
            self.send(handler, 502, {"message": "Bad Gateway"})
            return
        parts = urlsplit(handler.path).path.strip("/").split("/")
        if parts[:2] == ["app", "installations"] and parts[-1] == "access_tokens":
            expires = datetime.now(UTC) + timedelta(hours=1)
            token = {"token": f"ghs_drill{next(self._ids)}", "expires_at": expires.isoformat()}
            self.send(handler, 201, token)
        elif parts[0] != "repos" or len(parts) < 4:
            self.send(handler, 404, {"message": "Not Found"})
        elif parts[3] == "issues" and parts[-1] == "comments":
            with self._lock:
                self.comments.append((f"{parts[1]}/{parts[2]}", int(parts[4]), body["body"]))
            self.send(handler, 201, {"id": next(self._ids), "body": body["body"]})
        elif parts[3] == "check-runs":
            check_id = int(parts[4]) if len(parts) > 4 else next(self._ids)
            self.send(handler, 200 if method == "PATCH" else 201, {"id": check_id})
        elif parts[3] == "pulls" and parts[-1] == "requested_reviewers":
            self.send(handler, 201, {"number": int(parts[4])})
        else:
            self.send(handler, 404, {"message": "Not Found"})

    def gitlab(self, handler, tail: str, query) -> None:  # type: ignore[no-untyped-def]
        project, _, rest = tail.partition("/")
        project = unquote(project)
        name = project.rsplit("/", 1)[-1] if "/" in project else {"42": "hello"}.get(project, "")
        if self.behaviour(handler, name):
            return
        if not rest:
            body = {"id": 42, "path_with_namespace": project, "default_branch": "main"}
            self.send(handler, 200, body)
        elif rest.startswith("repository/commits/"):
            self.send(handler, 200, {"id": SHA})
        elif rest == "repository/archive.tar.gz" and query.get("sha") == [SHA]:
            self.send(handler, 200, self.archive, {"Content-Type": "application/gzip"})
        else:
            self.send(handler, 404, {"message": "404 Not Found"})

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(name="fake_forge")
def fake_forge_fixture() -> Iterator[FakeForge]:
    forge = FakeForge()
    forge.start()
    try:
        yield forge
    finally:
        forge.stop()
