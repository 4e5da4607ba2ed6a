"""Request metrics and the ``/metrics`` endpoint for Prometheus."""

from __future__ import annotations

import hmac
import time
from functools import lru_cache

from flask import Blueprint, Flask, Response, abort, current_app, g, request

from metrics import HTTP_LATENCY, HTTP_REQUESTS, exposition

bp = Blueprint("metrics", __name__)

LOOPBACK = {"127.0.0.1", "::1"}


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


@lru_cache(maxsize=4096)
def _requests_counter(method: str, route: str, status: int):  # type: ignore[no-untyped-def]
    """The labelled child, looked up once: ``labels()`` validates and locks on every call."""
    return HTTP_REQUESTS.labels(method, route, str(status))


@lru_cache(maxsize=1024)
def _latency_histogram(route: str):  # type: ignore[no-untyped-def]
    return HTTP_LATENCY.labels(route)


def _record(response):  # type: ignore[no-untyped-def]
    started = g.pop("metrics_started", None)
    # Route templates, not raw paths: one series per endpoint, not one per ticket id.
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    _requests_counter(request.method, route, response.status_code).inc()
    if started is not None:
        _latency_histogram(route).observe(time.perf_counter() - started)
    return response


def init_metrics(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_record)


@bp.get("/metrics")
def metrics():  # type: ignore[no-untyped-def]
    settings = current_app.config["SETTINGS"]
    if settings.metrics_token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), settings.metrics_token.encode()):
            abort(404)
    elif request.remote_addr not in LOOPBACK:
        abort(404)
    body = exposition(settings.redis_url, settings.prometheus_multiproc_dir)
    return Response(body, mimetype="text/plain; version=0.0.4")
