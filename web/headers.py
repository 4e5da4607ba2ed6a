"""Security headers on every response: a strict CSP, no sniffing, no framing, HSTS in production.

The CSP forbids inline scripts and inline event handlers: JavaScript lives in
``web/static/js/*.js`` and is loaded with ``<script src>`` (Bootstrap-Flask does the same for
``bootstrap.bundle.min.js`` when served locally). Inline ``style`` attributes are allowed because
Bootstrap's components set them; styles cannot run code.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from settings import Settings

DIRECTIVES: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy(**overrides: str) -> str:
    """The site's policy with some directives replaced (``script_src=...`` for script-src).

    Only pages that cannot live with the strict policy ask for another one, and only for the
    directive they need (see ``web.rq_dashboard``); everything else keeps ``CSP``.
    """
    directives = {**DIRECTIVES, **{k.replace("_", "-"): v for k, v in overrides.items()}}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


CSP = content_security_policy()
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(settings: Settings) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    if settings.is_production:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeaders:
    """WSGI middleware: adds the security headers to every answer that does not set its own.

    At the WSGI layer rather than in an ``after_request`` hook, so it also covers answers Flask
    never finalises, and because appending to ``start_response``'s plain list costs a fraction
    of editing werkzeug's ``Headers`` (24 of the ~600 us a webhook delivery costs went there).
    """

    def __init__(self, app: Any, headers: dict[str, str]):
        self.app = app
        self.headers = [(name.lower(), (name, value)) for name, value in headers.items()]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        def start(
            status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            present = {name.lower() for name, _ in response_headers}
            response_headers.extend(pair for lower, pair in self.headers if lower not in present)
            if exc_info is None:  # as most servers are called (PEP 3333 makes it optional)
                return start_response(status, response_headers)
            return start_response(status, response_headers, exc_info)

        return self.app(environ, start)


def init_headers(app: Flask, settings: Settings) -> None:
    app.wsgi_app = SecurityHeaders(app.wsgi_app, security_headers(settings))  # type: ignore[method-assign]
