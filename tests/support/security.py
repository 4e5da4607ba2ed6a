"""Helpers for the abuse-protection tests: apps with limits on, clients from chosen addresses."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask

from app import create_app


def limited_app(app_config: dict[str, Any], redis_url: str, **overrides: Any) -> Flask:
    """An app with rate limiting on, counting in the given Redis."""
    return create_app(
        {**app_config, "rate_limits_enabled": True, "redis_url": redis_url, **overrides}
    )


def client_from(app: Flask, address: str, **headers: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    for name, value in headers.items():
        client.environ_base["HTTP_" + name.upper().replace("-", "_")] = value
    return client


def wrong_sign_in(client, email: str = "ada@example.com"):  # type: ignore[no-untyped-def]
    return client.post("/sign-in", data={"email": email, "password": "wrong password!"})


# A blueprint standing in for a route another room adds later (see test_web_limits).
elsewhere_bp = Blueprint("elsewhere", __name__)


@elsewhere_bp.post("/elsewhere")
def submit():  # type: ignore[no-untyped-def]
    return "accepted"


# Stands in for a code-viewing route another room adds (see test_web_audit).
code_bp = Blueprint("codeview", __name__)


@code_bp.get("/stand-in/tickets/<ticket_id>/code/<path:path>")
def show(ticket_id: str, path: str):  # type: ignore[no-untyped-def]
    if path == "missing.py":
        return "no such file", 404
    return f"code of {path}"


# Stands in for the forges room's webhook door (see test_web_limits).
hooks_bp = Blueprint("webhooks", __name__)


@hooks_bp.post("/webhooks/github")
def github():  # type: ignore[no-untyped-def]
    from flask import request

    # signature checks need the raw body: it must survive the limiter reading the JSON
    return {"received": request.get_data(as_text=True)}, 202
