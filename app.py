"""The Flask application factory: settings in, a wired application out."""

from __future__ import annotations

import contextlib
import importlib
import logging
import secrets
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from flask_bootstrap import Bootstrap5
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from cli import register_cli
from logconfig import configure_logging
from models.crypto import Keyring, configure_keyring, generate_key
from models.db import configure_engine, db
from settings import Settings, activate, development_secret, load_settings
from web.api import init_api
from web.audit import init_audit
from web.current import current_user, forget_identity
from web.errors import register_error_handlers
from web.headers import init_headers
from web.inputs import init_inputs
from web.ipblocks import init_ipblocks
from web.limits import init_limits
from web.metrics import init_metrics
from web.oauth import init_oauth
from web.rq_dashboard import init_rq_dashboard
from web.sessions import CookieSessions

log = logging.getLogger(__name__)

# "module:attribute" of every page/door blueprint, in registration order.
BLUEPRINTS: list[str] = [
    "web.health:bp",
    "web.auth:bp",
    "web.dashboard:bp",
    "web.metrics:bp",
    "web.submit:bp",
    "web.tickets:bp",
    "web.uploads:bp",
    "web.offers:bp",
    "web.reviewer:bp",
    "web.admin_verifications:bp",
    "web.ipblocks:bp",
    "web.tokens:bp",
    "web.oauth:bp",
    "web.audit:bp",
    "web.notifications:bp",
    "web.email_links:bp",
    "webhooks.github:bp",
    "webhooks.gitlab:bp",
    "web.github_app:bp",
    "web.viewer:bp",
    "web.review:bp",
    "web.profiles:bp",
]


# Set on a function found to be plain (not a coroutine function): it lives and dies with the
# function, so functions made per request (``after_this_request``) leave nothing behind.
_PLAIN = "_vetted_plain_function"


class VettedFlask(Flask):
    """Flask, remembering which views and hooks are plain functions.

    Flask asks ``inspect.iscoroutinefunction`` about every hook and view on every request
    (about twenty per request here), and the answer for a function never changes.
    """

    def ensure_sync(self, func: Any) -> Any:
        if getattr(func, _PLAIN, False):
            return func
        synced = super().ensure_sync(func)
        if synced is func:
            # Bound methods and builtins take no attributes; they are simply asked each time.
            with contextlib.suppress(AttributeError, TypeError):
                setattr(func, _PLAIN, True)
        return synced


csrf = CSRFProtect()
bootstrap = Bootstrap5()


def _secrets(settings: Settings) -> Settings:
    """Outside production, invent and remember what is missing so ``make run`` just works."""
    changes: dict[str, Any] = {}
    if not settings.secret_key:
        changes["secret_key"] = development_secret(Path(settings.var_dir), "secret_key")
    if not settings.encryption_keys:
        keyfile = Path(settings.var_dir) / ".encryption_keys"
        if not keyfile.exists():
            keyfile.parent.mkdir(parents=True, exist_ok=True)
            keyfile.write_text(f"dev1:{generate_key()}")
            keyfile.chmod(0o600)
        changes["encryption_keys"] = keyfile.read_text().strip()
    return settings.with_overrides(**changes) if changes else settings


def _load(config: dict[str, Any] | None) -> Settings:
    settings = load_settings()
    if config:
        settings = settings.with_overrides(**{k.lower(): v for k, v in config.items()})
    return _secrets(settings)


def _register_blueprints(app: Flask) -> None:
    for ref in BLUEPRINTS:
        module_name, _, attr = ref.partition(":")
        app.register_blueprint(getattr(importlib.import_module(module_name), attr))


def _request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    valid = 8 <= len(incoming) <= 64 and all(c.isalnum() or c in "-_" for c in incoming)
    g.request_id = incoming if valid else secrets.token_hex(8)


def _tag_response(response):  # type: ignore[no-untyped-def]
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def _template_globals() -> dict[str, Any]:
    return {"current_user": current_user(), "nav_items": []}


def _embedded_worker_on_first_request(app: Flask, settings: Settings) -> None:
    """The embedded default: no Redis, so jobs run on threads in the serving process.

    They start with the first request, not with the app: CLI commands (``db upgrade``,
    ``user create``) build the app too, and must not start job threads (before the tables
    exist, or in a process that exits a moment later).
    """
    lock = threading.Lock()

    def start() -> None:
        if "vetted_loops" in app.extensions:
            return
        with lock:
            if "vetted_loops" not in app.extensions:
                from worker import start_background_loops

                app.extensions["vetted_loops"] = start_background_loops(settings)

    app.before_request(start)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings = _load(config)
    activate(settings)
    configure_logging(settings)
    configure_keyring(Keyring.from_setting(settings.encryption_keys))
    configure_engine(settings.database_url)
    Path(settings.storage_dir).mkdir(parents=True, exist_ok=True)

    app = VettedFlask(__name__, template_folder="web/templates", static_folder="web/static")
    app.session_interface = CookieSessions()
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(days=14),
        BOOTSTRAP_SERVE_LOCAL=True,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=settings.is_production,
        TESTING=bool(settings.extra.get("testing", False)),
        WTF_CSRF_ENABLED=bool(settings.extra.get("wtf_csrf_enabled", True)),
    )
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]

    csrf.init_app(app)
    bootstrap.init_app(app)
    register_error_handlers(app)
    app.context_processor(_template_globals)
    app.before_request(_request_id)
    app.after_request(_tag_response)
    init_metrics(app)
    app.teardown_appcontext(lambda _exc: db.remove())
    _register_blueprints(app)
    init_api(app)
    csrf.exempt("web.api")
    # After every blueprint and API module: limits are applied by endpoint name.
    init_limits(app, settings)
    init_ipblocks(app, settings)
    init_headers(app, settings)
    init_oauth(app, settings)
    init_audit(app)
    init_inputs(app)
    # rq's dashboard for admins, with Redis only; its guard runs before the package's own hooks.
    init_rq_dashboard(app, settings)
    # Request hooks run: request id, forget any stale identity, IP guard, rate limits, the rest.
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(0, forget_identity)
    hooks.remove(_request_id)
    hooks.insert(0, _request_id)
    app.teardown_request(lambda _exc: db.remove())
    register_cli(app)

    if settings.embedded_worker and not settings.uses_redis and not app.testing:
        _embedded_worker_on_first_request(app, settings)
    return app
