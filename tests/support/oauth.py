"""A local stand-in for GitHub's and GitLab's OAuth endpoints and user APIs (loopback only)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

CLIENT_ID = "stand-in-client"
CLIENT_SECRET = "stand-in-secret"
GOOD_CODE = "good-code"
ACCESS_TOKEN = "stand-in-access-token"


class OAuthStandIn:
    """Answers like GitHub (``/login/oauth/access_token``, ``/user``, ``/user/emails``) and
    GitLab (``/oauth/token``, ``/api/v4/user``); tests set the profile it reports."""

    def __init__(self) -> None:
        self.github_user: dict[str, Any] = {"login": "octocat", "name": "Mona"}
        self.github_emails: list[dict[str, Any]] = [
            {"email": "mona@example.com", "primary": True, "verified": True}
        ]
        self.gitlab_user: dict[str, Any] = {
            "username": "tanuki",
            "name": "Tanuki",
            "email": "tanuki@example.com",
            "confirmed_at": "2024-01-01T00:00:00Z",
        }
        self.token_requests: list[dict[str, list[str]]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                stand_in.token_requests.append(form)
                if self.path not in ("/login/oauth/access_token", "/oauth/token"):
                    return self._json(404, {"message": "Not Found"})
                basic = self.headers.get("Authorization", "")
                client_ok = form.get("client_id") == [CLIENT_ID] or basic.startswith("Basic ")
                if form.get("code") != [GOOD_CODE] or not client_ok:
                    return self._json(400, {"error": "bad_verification_code"})
                return self._json(
                    200, {"access_token": ACCESS_TOKEN, "token_type": "bearer", "scope": "user"}
                )

            def do_GET(self) -> None:  # noqa: N802
                if self.headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
                    return self._json(401, {"message": "Bad credentials"})
                routes = {
                    "/user": stand_in.github_user,
                    "/user/emails": stand_in.github_emails,
                    "/api/v4/user": stand_in.gitlab_user,
                }
                if self.path in routes:
                    return self._json(200, routes[self.path])
                return self._json(404, {"message": "Not Found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> OAuthStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
