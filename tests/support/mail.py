"""A real SMTP server (aiosmtpd) on loopback, and a local stand-in for SendGrid's v3 API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.services import free_port


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


class Collector:
    """aiosmtpd handler: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        parsed = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), parsed)  # type: ignore[arg-type]
            )
        return "250 Message accepted for delivery"


@contextmanager
def running_smtp_server() -> Iterator[tuple[int, Collector]]:
    from aiosmtpd.controller import Controller

    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, collector
    finally:
        controller.stop()


@dataclass
class SendGridStandIn:
    """Answers ``POST /v3/mail/send`` like SendGrid: 202 when the request has the v3 shape.

    ``script`` is a list of (status, headers) answers used in order before falling back to 202;
    ``down`` makes every request fail with 503 until switched off.
    """

    api_key: str
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    down: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    shape_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check_shape(self, headers: Any, body: dict[str, Any]) -> list[str]:
        errors = []
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            errors.append("authorization")
        if not headers.get("Content-Type", "").startswith("application/json"):
            errors.append("content-type")
        persons = body.get("personalizations") or []
        if not persons or not persons[0].get("to") or "@" not in persons[0]["to"][0]["email"]:
            errors.append("personalizations[0].to")
        if "@" not in (body.get("from") or {}).get("email", ""):
            errors.append("from.email")
        if not body.get("subject"):
            errors.append("subject")
        types = [c.get("type") for c in body.get("content") or []]
        if types != ["text/plain", "text/html"]:  # v3 requires text/plain first
            errors.append(f"content types {types}")
        if not all(c.get("value") for c in body.get("content") or []):
            errors.append("content value")
        if not isinstance(body.get("headers", {}), dict):
            errors.append("headers")
        return errors

    def answer(self, headers: Any, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {}, b'{"errors":[{"message":"invalid JSON"}]}'
        with self.lock:
            self.requests.append(body)
            problems = self.check_shape(headers, body)
            if "authorization" in problems:
                return (
                    401,
                    {},
                    b'{"errors":[{"message":"The provided authorization grant is invalid"}]}',
                )
            if problems:
                self.shape_errors.extend(problems)
                message = json.dumps({"errors": [{"message": p} for p in problems]}).encode()
                return 400, {}, message
            if self.down:
                return 503, {}, b'{"errors":[{"message":"service unavailable"}]}'
            if self.script:
                status, extra = self.script.pop(0)
                if status != 202:
                    return status, extra, b'{"errors":[{"message":"scripted failure"}]}'
            self.accepted.append(body)
            return 202, {"X-Message-Id": f"sg-{len(self.accepted)}"}, b""


@contextmanager
def running_sendgrid() -> Iterator[tuple[str, SendGridStandIn]]:
    stand_in = SendGridStandIn(api_key="SG.test-key")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path != "/v3/mail/send":
                status, headers, body = 404, {}, b'{"errors":[{"message":"not found"}]}'
            else:
                status, headers, body = stand_in.answer(self.headers, raw)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", stand_in
    finally:
        server.shutdown()
        server.server_close()
