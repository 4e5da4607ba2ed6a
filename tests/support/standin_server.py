"""What both forge stand-ins share: a werkzeug server on loopback, faults on demand, a log."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Fault:
    """Answer ``status`` (with headers) to the next ``times`` requests whose path contains
    ``path_contains``."""

    status: int
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    path_contains: str = ""


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers or {}, mimetype="application/json"
    )


class StandInServer:
    """Subclasses implement ``handle(request) -> Response``."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str]] = []
        self.violations: list[str] = []
        self._lock = threading.RLock()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> StandInServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def fail(
        self,
        status: int,
        times: int = 1,
        *,
        retry_after: int | None = None,
        headers: dict[str, str] | None = None,
        path_contains: str = "",
    ) -> None:
        extra = dict(headers or {})
        if retry_after is not None:
            extra["Retry-After"] = str(retry_after)
        with self._lock:
            self.faults.append(Fault(status, times, extra, path_contains))

    def calls(self, method: str, fragment: str = "") -> list[str]:
        return [p for m, p in self.log if m == method and fragment in p]

    def _fault_for(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.path_contains in path:
                    fault.times -= 1
                    return fault
        return None

    def _wsgi(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        with self._lock:
            self.log.append((request.method, request.full_path.rstrip("?")))
        fault = self._fault_for(request.path)
        if fault is not None:
            response = json_response(fault.status, {"message": "stand-in fault"}, fault.headers)
        else:
            try:
                response = self.handle(request)
            except Exception as exc:  # a bug in the stand-in must fail the test loudly
                self.violations.append(
                    f"stand-in crashed on {request.method} {request.path}: {exc!r}"
                )
                response = json_response(500, {"message": "stand-in crashed"})
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError
