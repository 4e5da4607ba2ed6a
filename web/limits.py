"""Rate limits: one table, keyed by endpoint name, applied after every blueprint is registered.

Counters live in Redis (``REDIS_URL``, moving window) so every web server shares them; when
Redis is unreachable Flask-Limiter falls back to in-memory counters per process and retries
Redis with backoff — the site stays up, limits just become per-server for a while.

Other rooms get limits by adding their endpoint names to ``LIMITS``; nothing in their views
changes. A breach answers 429 with ``Retry-After`` through the foundation's error handler and
counts as an offence towards an automatic IP block (``web.ipblocks``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_limiter import Limiter, RequestLimit
from limits import parse_many

from settings import Settings, SettingsError
from web.current import client_ip, current_user
from web.errors import UserFacingError

log = logging.getLogger(__name__)

KEY_PREFIX = "vetted-rl"
# Routes never limited: the load balancer's probes, the metrics scrape and static files
# (the rq dashboard's too; its pages and JSON polls count against RATE_LIMIT_DEFAULT).
EXEMPT_PREFIXES = ("health.", "metrics.", "static", "bootstrap.", "rq_dashboard.static")


@dataclass(frozen=True)
class Rule:
    """One limit: the setting holding "N per period", who it counts, which methods it counts.

    ``per``: ``account`` counts the signed-in user or token owner (else the IP) *and*, separately,
    the IP (so neither many accounts behind one address nor one account from many addresses
    escapes); ``ip`` counts the client address; ``installation`` counts the forge installation
    (GitHub) or project (GitLab) named in a webhook payload, else the IP.
    Rules sharing a setting share one budget across endpoints (page and API count together).
    """

    setting: str
    per: str = "account"
    methods: tuple[str, ...] = ("POST",)
    # count only requests carrying this form/JSON field (one endpoint takes uploads and URLs)
    only_with: str | None = None

    def exempt(self) -> bool:
        if self.only_with is None:
            return False
        if self.only_with in request.form:
            return not request.form.get(self.only_with)
        body = request.get_json(silent=True)
        return not (isinstance(body, dict) and body.get(self.only_with))


SIGN_IN = Rule("rate_limit_sign_in", per="ip")
SIGN_UP = Rule("rate_limit_sign_up", per="ip")
PASSWORD_RESET = Rule("rate_limit_password_reset", per="ip")
API_TOKENS = Rule("rate_limit_api_tokens")
SUBMISSIONS = Rule("rate_limit_submissions")
UPLOADS = Rule("rate_limit_uploads")
REPO_FETCH = Rule("rate_limit_repo_fetch", only_with="repo_url")
WEBHOOKS = Rule("rate_limit_webhooks", per="installation")

# Endpoint name -> rules. Names of routes built in other rooms are best guesses until they merge:
# ``unknown_endpoints(app)`` lists the ones the app does not have, so they can be corrected.
LIMITS: dict[str, tuple[Rule, ...]] = {
    # accounts (this room)
    "auth.sign_in": (SIGN_IN,),
    "auth.sign_up": (SIGN_UP,),
    "auth.forgot_password": (PASSWORD_RESET,),
    "auth.reset_password": (PASSWORD_RESET,),
    "token_settings.create": (API_TOKENS,),
    "api_tokens.create_token_view": (API_TOKENS,),
    "oauth.callback": (SIGN_IN,),
    # intake: the submit page and the API take archives, finished uploads and repository URLs
    "submit.create": (SUBMISSIONS, REPO_FETCH),
    "submissions.create": (SUBMISSIONS, REPO_FETCH),
    "uploads.create": (UPLOADS,),
    # workspace: files a reviewer attaches count against the same upload budget
    "review.upload": (UPLOADS,),
    # forges: webhook deliveries, counted per installation / project
    "webhooks_github.receive": (WEBHOOKS,),
    "webhooks_gitlab.receive": (WEBHOOKS,),
}


def ip_key() -> str:
    return f"ip:{client_ip()}"


def account_key() -> str:
    """The signed-in user or token owner; the client IP when anonymous."""
    try:
        user = current_user()
    except Exception:  # a broken database must not turn limiting into a 500
        user = None
    return f"acct:user:{user.id}" if user is not None else f"acct:{ip_key()}"


def installation_key() -> str:
    """GitHub's ``installation.id`` or GitLab's ``project.id`` from the webhook body, parsed
    once for the limiter and the receiver alike."""
    from webhooks.receipts import request_json

    settings: Settings = current_app.config["SETTINGS"]
    if (request.content_length or 0) <= settings.webhook_max_bytes:
        try:
            payload = request_json()
        except UserFacingError:  # the receiver refuses it, clearly, after counting
            payload = {}
        installation = payload.get("installation")
        if isinstance(installation, dict) and isinstance(installation.get("id"), int):
            return f"gh-installation:{installation['id']}"
        project = payload.get("project")
        if isinstance(project, dict) and isinstance(project.get("id"), int):
            return f"gl-project:{project['id']}"
    return f"hook-{ip_key()}"


KEYS: dict[str, tuple[Callable[[], str], ...]] = {
    "account": (account_key, ip_key),
    "ip": (ip_key,),
    "installation": (installation_key,),
}


def validate_limit_settings(settings: Settings) -> None:
    """Fail at start-up, naming the variable, rather than with a 500 on the first request."""
    from settings import ENV_VARS

    for var, attr in ENV_VARS.items():
        if attr.startswith("rate_limit_"):
            value = getattr(settings, attr)
            try:
                if not parse_many(value):
                    raise ValueError(value)
            except ValueError:
                raise SettingsError(
                    f"{var} must look like '10 per minute' or '5/hour', not {value!r}"
                ) from None


def _exempt() -> bool:
    endpoint = request.endpoint or ""
    return endpoint.startswith(EXEMPT_PREFIXES)


def _on_breach(limit: RequestLimit) -> None:
    """A breach is an offence: enough of them from one address earn an automatic block."""
    from web.ipblocks import note_offence

    note_offence(f"rate limit {limit.limit} exceeded")


def build_limiter(app: Flask, settings: Settings) -> Limiter:
    validate_limit_settings(settings)
    storage_uri = settings.redis_url or "memory://"
    options: dict[str, float | str | bool] = {}
    if settings.redis_url:
        options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    limiter = Limiter(
        account_key,
        default_limits=[settings.rate_limit_default],
        strategy="moving-window",
        storage_uri=storage_uri,
        storage_options=options,
        in_memory_fallback_enabled=True,
        headers_enabled=True,
        key_prefix=KEY_PREFIX,
        on_breach=_on_breach,
        enabled=settings.rate_limits_enabled,
    )
    limiter.request_filter(_exempt)
    limiter.init_app(app)
    # Count before anything else refuses the request (credentials, CSRF, validation): floods of
    # refused requests are exactly what limits are for. Only the IP guard goes before it.
    hooks = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit
    if check in hooks:
        hooks.remove(check)
        hooks.insert(0, check)
    return limiter


def apply_limits(app: Flask, limiter: Limiter, settings: Settings) -> list[str]:
    """Wrap every endpoint named in ``LIMITS`` that this app has; returns the wrapped names.

    With limits off nothing is wrapped: a disabled limiter's wrapper still costs each request
    its full evaluation (a tenth of a webhook's time), to count nothing."""
    if not limiter.enabled:
        return []
    wrapped = []
    for endpoint, rules in LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        for rule in rules:
            for key_func in KEYS[rule.per]:
                scope = f"{rule.setting.removeprefix('rate_limit_')}:{key_func.__name__}"
                view = limiter.shared_limit(
                    getattr(settings, rule.setting),
                    scope=scope,
                    key_func=key_func,
                    methods=list(rule.methods),
                    exempt_when=rule.exempt,
                )(view)
        app.view_functions[endpoint] = view
        wrapped.append(endpoint)
    return wrapped


def unknown_endpoints(app: Flask) -> list[str]:
    """Names in ``LIMITS`` that no route of this app carries (typos or routes not merged yet)."""
    return sorted(name for name in LIMITS if name not in app.view_functions)


def init_limits(app: Flask, settings: Settings) -> Limiter:
    """Call once every blueprint and API module is registered."""
    limiter = build_limiter(app, settings)
    app.extensions["vetted_limiter"] = limiter
    app.extensions["vetted_limited_endpoints"] = apply_limits(app, limiter, settings)
    return limiter
