"""Logging: plain lines for a terminal, JSON lines (with request and job ids) for production."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from settings import Settings


class ContextFilter(logging.Filter):
    """Adds the request id (inside a request) and the rq job id (inside a job) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id()
        record.job_id = _job_id()
        return True


def _request_id() -> str | None:
    try:
        from flask import g, has_request_context

        return g.get("request_id") if has_request_context() else None
    except Exception:
        return None


def _job_id() -> str | None:
    try:
        from rq import get_current_job

        job = get_current_job()
        return job.id if job else None
    except Exception:
        return None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for attr in ("request_id", "job_id", "ticket_id"):
            value = getattr(record, attr, None)
            if value:
                entry[attr] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    if getattr(root, "_vetted_configured", False):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    if settings.log_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    root._vetted_configured = True  # type: ignore[attr-defined]
