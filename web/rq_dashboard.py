"""rq's own dashboard (the ``rq-dashboard`` package) at ``/admin/rq``, for admins only.

It is mounted only when Redis is configured (the embedded default has no rq) and
``RQ_DASHBOARD_ENABLED`` is on. The package brings its views, templates and static files; this
module fits them into the site's rules instead of changing them:

- **Who.** One hook in front of every route of the blueprint (its static files too) runs the
  same ``role_required(Role.ADMIN)`` guard as the other admin pages, before the package's own
  hook touches Redis: signed out is sent to sign in, signed in without the admin role gets 403.
- **Made-up URLs.** Path values are checked before its views see them — one Redis instance,
  known queues, registries and orders, sane paging, existing jobs — so they answer 404, never a
  500. This also matters for safety: the package writes the queue name from the URL unescaped
  into an inline script.
- **CSRF.** Its actions (requeue, delete, empty, compact) are jQuery POSTs that send the
  ``_csrf_token`` cookie back as ``X-CSRFToken``. We set that cookie to the session's Flask-WTF
  token, so ``CSRFProtect`` checks those POSTs exactly like the site's forms (another site can
  neither read the cookie nor set the header). "Requeue all", which the package also answers on
  GET, is refused on GET: a link must not change anything.
- **CSP.** Its pages need one inline script, which our copy of its base template
  (``web/templates/rq_dashboard/base.html``) marks with a per-request nonce, and Underscore
  templates, which compile with ``new Function``. So these pages, and only these, get
  ``script-src 'self' 'nonce-…' 'unsafe-eval'``; inline event handlers stay forbidden.
- **Audit.** Its actions are recorded (``ACTIONS``); reading it is not, like the other admin
  pages. Rate limits: ``RATE_LIMIT_DEFAULT`` per account (its pages poll every 2.5 s).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, Response, abort, current_app, g, request
from flask_wtf.csrf import generate_csrf

from jobs.dispatch import QUEUE_NAME
from models.users import Role
from settings import Settings
from web.audit import record_answer
from web.current import role_required
from web.headers import content_security_policy

URL_PREFIX = "/admin/rq"
BLUEPRINT = "rq_dashboard"
CSRF_COOKIE = "_csrf_token"  # the name the package's JavaScript reads
REGISTRIES = frozenset(
    {"queued", "failed", "deferred", "started", "finished", "scheduled", "canceled"}
)
ORDERS = frozenset({"asc", "dsc"})
MAX_PER_PAGE = 200
MAX_PAGE = 100_000
# Endpoint -> audit action for the dashboard's changes (all POSTs from its JavaScript).
ACTIONS: dict[str, str] = {
    "rq_dashboard.requeue_job_view": "rq.job.requeue",
    "rq_dashboard.delete_job_view": "rq.job.delete",
    "rq_dashboard.requeue_all": "rq.queue.requeue_failed",
    "rq_dashboard.empty_queue": "rq.queue.empty",
    "rq_dashboard.compact_queue": "rq.queue.compact",
}


def enabled(settings: Settings) -> bool:
    return settings.uses_redis and settings.rq_dashboard_enabled


@role_required(Role.ADMIN)
def _admins_only() -> None:
    """The admin pages' guard, applied to no view of its own: it answers for every route."""
    return None


def _positive(value: Any, ceiling: int) -> bool:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return False
    return 1 <= number <= ceiling


def _known_queues() -> set[str]:
    from rq import Queue

    return {QUEUE_NAME} | {q.name for q in Queue.all(connection=current_app.redis_conn)}  # type: ignore[attr-defined]


def _check_path(args: dict[str, Any]) -> None:
    """404 for anything the package's views would choke on (or reflect into a script)."""
    if args.get("instance_number", 0) != 0:
        abort(404)
    if "registry_name" in args and args["registry_name"] not in REGISTRIES:
        abort(404)
    if "order" in args and args["order"] not in ORDERS:
        abort(404)
    if "per_page" in args and not _positive(args["per_page"], MAX_PER_PAGE):
        abort(404)
    if "page" in args and not _positive(args["page"], MAX_PAGE):
        abort(404)
    if args.get("queue_name") is not None and args["queue_name"] not in _known_queues():
        abort(404)
    if "job_id" in args:
        from rq.job import Job

        if not Job.exists(str(args["job_id"]), connection=current_app.redis_conn):  # type: ignore[attr-defined]
            abort(404)


def guard() -> Response | None:
    """Runs before the package's own request hook, for every route of the blueprint."""
    if request.blueprint != BLUEPRINT:
        return None
    refused = _admins_only()
    if refused is not None:
        return refused  # the redirect to sign in
    if request.endpoint == "rq_dashboard.requeue_all" and request.method != "POST":
        abort(405)
    _check_path(request.view_args or {})
    g.rq_dashboard_nonce = secrets.token_urlsafe(16)
    return None


def finish(response: Response) -> Response:
    """Its own CSP and the CSRF cookie on its pages; its actions into the audit log."""
    if request.blueprint != BLUEPRINT:
        return response
    nonce = g.get("rq_dashboard_nonce")
    if nonce:
        response.headers["Content-Security-Policy"] = content_security_policy(
            script_src=f"'self' 'nonce-{nonce}' 'unsafe-eval'"
        )
    if response.mimetype == "text/html" and response.status_code == 200:
        response.set_cookie(
            CSRF_COOKIE,
            generate_csrf(),
            path=URL_PREFIX,
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
            httponly=False,  # its JavaScript reads it; another origin cannot
            samesite="Strict",
        )
    action = ACTIONS.get(request.endpoint or "")
    if action is not None:
        record_answer(action, response)
    return response


def init_rq_dashboard(app: Flask, settings: Settings) -> bool:
    """Mount the dashboard when Redis is configured and it is enabled; returns whether it was."""
    if not enabled(settings):
        return False
    import rq_dashboard
    from rq_dashboard.web import setup_rq_connection

    app.config["RQ_DASHBOARD_REDIS_URL"] = settings.redis_url
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=URL_PREFIX)
    setup_rq_connection(app)
    # On its blueprint only (other requests never pay for them); the guard before its own hooks.
    app.before_request_funcs.setdefault(BLUEPRINT, []).insert(0, guard)
    app.after_request_funcs.setdefault(BLUEPRINT, []).append(finish)
    # Read by the navigation to show admins the link.
    app.config["RQ_DASHBOARD_URL_PREFIX"] = URL_PREFIX
    return True
