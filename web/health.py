"""``/healthz``: the process is alive. ``/readyz``: it can do its job (database, queue, scanner)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from models.db import db

bp = Blueprint("health", __name__)

# name -> check; each returns None when fine or a short reason. Rooms register their own.
READINESS_CHECKS: dict[str, Callable[[], str | None]] = {}


def _database() -> str | None:
    db.execute(text("SELECT 1"))
    return None


def _queue() -> str | None:
    settings = current_app.config["SETTINGS"]
    if not settings.uses_redis:
        return None
    from redis import Redis

    Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=1).ping()
    return None


READINESS_CHECKS.update({"database": _database, "queue": _queue})


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    results: dict[str, str] = {}
    ready = True
    for name, check in READINESS_CHECKS.items():
        try:
            problem = check()
        except Exception as exc:
            problem = exc.__class__.__name__
            if name == "database":
                db.rollback()
        results[name] = problem or "ok"
        ready = ready and problem is None
    return jsonify(status="ready" if ready else "unavailable", checks=results), (
        200 if ready else 503
    )
