"""A small scripted HTTP server: each path answers a queue of canned responses, in order.

Used to stand in for the forges' HTTP behaviour (5xx, rate limits, redirects, slow answers)
without mocking the client: the code under test makes real HTTP requests over loopback.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Canned:
    status: int = 200
    body: bytes | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # a body whose Content-Length claims more than is sent (a dropped connection)
    truncate_to: int | None = None

    def payload(self) -> bytes:
        if isinstance(self.body, dict | list):
            return json.dumps(self.body).encode()
        return self.body


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class StubServer:
    """``stub.script("GET", "/repos/a/b", Canned(500), Canned(200, {...}))``; the last repeats."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], deque[Canned]] = defaultdict(deque)
        self.requests: list[Seen] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.requests.append(Seen(self.command, self.path, dict(self.headers), body))
                queue = stub.routes.get((self.command, self.path)) or stub.routes.get(
                    (self.command, self.path.split("?", 1)[0])
                )
                canned = (
                    Canned(404, {"message": "Not Found"})
                    if not queue
                    else (queue.popleft() if len(queue) > 1 else queue[0])
                )
                if canned.delay:
                    time.sleep(canned.delay)
                payload = canned.payload()
                self.send_response(canned.status)
                for name, value in canned.headers.items():
                    self.send_header(name, value)
                if isinstance(canned.body, dict | list):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if canned.truncate_to is not None:
                    self.wfile.write(payload[: canned.truncate_to])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, method: str, path: str, *responses: Canned) -> None:
        self.routes[(method, path)] = deque(responses)

    def hits(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.path.startswith(path))

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
