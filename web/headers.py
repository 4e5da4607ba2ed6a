"""Security headers on every response: a strict CSP, no sniffing, no framing, HSTS in production.

The CSP forbids inline scripts and inline event handlers: JavaScript lives in
``web/static/js/*.js`` and is loaded with ``<script src>`` (Bootstrap-Flask does the same for
``bootstrap.bundle.min.js`` when served locally). Inline ``style`` attributes are allowed because
Bootstrap's components set them; styles cannot run code.
"""

from __future__ import annotations

from flask import Flask, Response

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


def init_headers(app: Flask, settings: Settings) -> None:
    headers = security_headers(settings)

    def add_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    app.after_request(add_headers)
