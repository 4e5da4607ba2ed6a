"""The audit log's web side: automatic records for sensitive reads, and the admin search page.

Reading code and downloading files are recorded by endpoint name, like rate limits: add the
endpoint to ``AUDITED`` and every successful answer writes who, what, when and from which IP
(the ticket, attachment or file path from the URL become the object). Answers of ``*.download``
endpoints are also forced to ``Content-Disposition: attachment`` with a sandboxing CSP.
Changes are recorded by the code making them (``models.audit.record_audit``), in the same
transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, Flask, Response, current_app, render_template, request
from sqlalchemy import Select, func, select
from sqlalchemy.exc import SQLAlchemyError

from models.audit import AuditEvent, record_audit
from models.db import db, session_scope
from models.users import Role, User
from web.current import client_ip, current_user, role_required

log = logging.getLogger(__name__)

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

PER_PAGE = 50
# Endpoint name -> audit action. Names of routes built in other rooms are best guesses until
# they merge (``unknown_audited_endpoints(app)`` lists the missing ones).
AUDITED: dict[str, str] = {
    # workspace: the code viewer shows the code; the review page serves attachments and diffs
    "viewer.code": "code.view",
    "review.diff": "code.view",
    "review.download": "attachment.download",
}
# URL arguments naming the object, first match wins: ``ticket_id`` -> ``ticket:<value>``
# (``job_id`` and ``queue_name`` are rq's, from the admin job dashboard's actions).
OBJECT_ARGS = ("ticket_id", "attachment_id", "offer_id", "comment_id", "job_id", "queue_name")


def path_digest(path: str) -> str:
    """HMAC of a file path under SECRET_KEY: the same file gives the same digest, searchable
    by an admin who knows the path, without the log revealing the code's layout."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, path.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def _object_of(view_args: dict) -> tuple[str | None, str | None]:
    for name in OBJECT_ARGS:
        if name in view_args:
            return name.removesuffix("_id").removesuffix("_name"), str(view_args[name])[:64]
    return None, None


DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def _never_inline(response: Response) -> None:
    """Downloads are saved, never rendered: user content must not run in Vetted's origin."""
    disposition = response.headers.get("Content-Disposition", "")
    if not disposition.lower().startswith("attachment"):
        response.headers["Content-Disposition"] = "attachment"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP


def record_access(response: Response) -> Response:
    """After a successful answer from an audited endpoint, write the audit row (own session)."""
    action = AUDITED.get(request.endpoint or "")
    if action is None:
        return response
    return record_answer(action, response)


def record_answer(action: str, response: Response) -> Response:
    """Write ``action`` for this request if it succeeded: who, what (from the URL), when, where.

    ``record_access`` calls it for ``AUDITED``; a room whose routes exist only in some
    configurations (the rq dashboard, mounted only with Redis) calls it from its own hook, so
    ``AUDITED`` keeps naming only routes every app has.
    """
    if response.status_code >= 400:
        return response
    if action.endswith(".download"):
        _never_inline(response)
    view_args = request.view_args or {}
    object_type, object_id = _object_of(view_args)
    user = current_user()
    data = {"endpoint": request.endpoint, "method": request.method}
    path = view_args.get("path") or view_args.get("file_path")
    if path:
        # File paths are encrypted at rest elsewhere; the log keeps only a keyed digest of it.
        data["path_digest"] = path_digest(str(path))
    try:
        with session_scope() as session:
            record_audit(
                session,
                action,
                actor_id=user.id if user else None,
                ip=client_ip(),
                object_type=object_type,
                object_id=object_id,
                **data,
            )
    except SQLAlchemyError:
        log.error("could not write the audit row for %s", action)
    return response


def unknown_audited_endpoints(app: Flask) -> list[str]:
    return sorted(name for name in AUDITED if name not in app.view_functions)


def init_audit(app: Flask) -> None:
    app.after_request(record_access)


class SearchError(ValueError):
    pass


def _day(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SearchError(f"{field} must be a date like 2026-01-31.") from None


def _query(args: dict[str, str]) -> Select:
    query = select(AuditEvent, User.email).outerjoin(User, User.id == AuditEvent.actor_id)
    if args["action"]:
        query = query.where(AuditEvent.action.startswith(args["action"], autoescape=True))
    if args["actor"]:
        query = query.where(func.lower(User.email).contains(args["actor"].lower(), autoescape=True))
    if args["object"]:
        kind, _, ident = args["object"].partition(":")
        if ident:
            query = query.where(AuditEvent.object_type == kind, AuditEvent.object_id == ident)
        else:
            query = query.where(AuditEvent.object_id == kind)
    if args["ip"]:
        query = query.where(AuditEvent.ip.startswith(args["ip"], autoescape=True))
    start = _day(args["start"], "From")
    end = _day(args["end"], "To")
    if start:
        query = query.where(AuditEvent.at >= datetime.combine(start, time.min, UTC))
    if end:
        query = query.where(
            AuditEvent.at < datetime.combine(end + timedelta(days=1), time.min, UTC)
        )
    if start and end and start > end:
        raise SearchError("From must not be after To.")
    return query


FILTERS = ("action", "actor", "object", "ip", "start", "end")


@bp.get("")
@role_required(Role.ADMIN)
def index():  # type: ignore[no-untyped-def]
    args = {name: (request.args.get(name) or "").strip()[:200] for name in FILTERS}
    try:
        page = max(1, min(int(request.args.get("page") or 1), 100_000))
    except ValueError:
        page = 1
    try:
        query = _query(args)
    except SearchError as exc:
        return render_template(
            "admin/audit.html", args=args, events=[], page=1, has_next=False, problem=str(exc)
        ), 400
    rows = db.execute(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    return render_template(
        "admin/audit.html",
        args=args,
        events=rows[:PER_PAGE],
        page=page,
        has_next=len(rows) > PER_PAGE,
        problem=None,
    )
