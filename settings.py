"""Every setting Vetted reads, taken from the environment once.

Nothing else in the code base reads ``os.environ``: modules receive a ``Settings`` object, so a
test (or a second app instance) can run with its own configuration in the same process.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

MiB = 1024 * 1024
GiB = 1024 * MiB


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    base_url: str = "http://127.0.0.1:5000"
    secret_key: str = ""
    var_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str = ""
    encryption_keys: str = ""
    storage_dir: Path = Path("var/storage")
    mail_dir: Path = Path("var/mail")
    log_level: str = "INFO"
    log_json: bool = False
    # uploads and archives
    max_upload_bytes: int = 200 * MiB
    max_expanded_bytes: int = 1 * GiB
    max_archive_entries: int = 20_000
    max_compression_ratio: int = 250
    max_nested_depth: int = 2
    upload_expiry_seconds: int = 24 * 3600
    clamd_url: str = ""
    # e-mail
    email_backend: str = "console"
    mail_from: str = "Vetted <no-reply@vetted.local>"
    sendgrid_api_key: str = ""
    sendgrid_api_host: str = "https://api.sendgrid.com"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: str = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = 15.0
    email_retry_attempts: int = 3
    email_retry_wait_seconds: float = 1.0
    email_max_attempts: int = 12
    notifications_poll_seconds: float = 10.0
    # forges
    github_api_url: str = "https://api.github.com"
    github_web_url: str = "https://github.com"
    github_app_id: str = ""
    github_app_slug: str = ""
    github_private_key: str = ""
    github_webhook_secret: str = ""
    github_client_id: str = ""
    github_client_secret: str = ""
    gitlab_url: str = "https://gitlab.com"
    gitlab_token: str = ""
    gitlab_webhook_token: str = ""
    gitlab_client_id: str = ""
    gitlab_client_secret: str = ""
    webhook_max_bytes: int = 5 * MiB
    forge_timeout_seconds: float = 30.0
    forge_max_attempts: int = 5
    # matching
    fetch_patience_seconds: int = 300
    offer_ttl_seconds: int = 24 * 3600
    unmatched_retry_seconds: int = 3600
    match_weight_coverage: float = 3.0
    match_weight_rating: float = 2.0
    match_weight_load: float = 1.5
    match_weight_rotation: float = 1.0
    match_weight_timezone: float = 0.5
    match_weight_turnaround: float = 0.5
    # web tier
    trusted_proxies: int = 0
    session_cookie_secure: bool = False
    rate_limits_enabled: bool = True
    rate_limit_default: str = "300 per minute"
    rate_limit_submissions: str = "20 per hour"
    rate_limit_uploads: str = "60 per hour"
    rate_limit_repo_fetch: str = "30 per hour"
    rate_limit_sign_in: str = "10 per minute"
    rate_limit_sign_up: str = "5 per hour"
    rate_limit_password_reset: str = "5 per hour"  # noqa: S105
    rate_limit_api_tokens: str = "10 per hour"
    rate_limit_webhooks: str = "600 per minute"
    auto_block_threshold: int = 20
    auto_block_window_seconds: int = 600
    # jobs
    embedded_worker: bool = True
    job_max_attempts: int = 8
    job_timeout_seconds: int = 600
    dispatch_interval_seconds: float = 1.0
    rq_dashboard_enabled: bool = True
    # observability
    metrics_token: str = ""
    prometheus_multiproc_dir: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with some fields replaced (used by tests and the app factory)."""
        known = {f.name for f in fields(self)}
        direct = {k: v for k, v in overrides.items() if k in known}
        unknown = {k: v for k, v in overrides.items() if k not in known}
        result = replace(self, **direct)
        if unknown:
            result = replace(result, extra={**self.extra, **unknown})
        return result.resolved()

    def resolved(self) -> Settings:
        """Fill the embedded defaults that depend on other settings."""
        var_dir = Path(self.var_dir)
        changes: dict[str, Any] = {}
        if not self.database_url:
            changes["database_url"] = f"sqlite:///{(var_dir / 'vetted.db').resolve()}"
        if str(self.storage_dir) == "var/storage":
            changes["storage_dir"] = var_dir / "storage"
        if str(self.mail_dir) == "var/mail":
            changes["mail_dir"] = var_dir / "mail"
        return replace(self, **changes) if changes else self


# Environment variable name -> field name. The README's configuration table mirrors this list.
ENV_VARS: dict[str, str] = {
    "VETTED_ENV": "env",
    "BASE_URL": "base_url",
    "SECRET_KEY": "secret_key",
    "VAR_DIR": "var_dir",
    "DATABASE_URL": "database_url",
    "REDIS_URL": "redis_url",
    "ENCRYPTION_KEYS": "encryption_keys",
    "STORAGE_DIR": "storage_dir",
    "MAIL_DIR": "mail_dir",
    "LOG_LEVEL": "log_level",
    "LOG_JSON": "log_json",
    "MAX_UPLOAD_BYTES": "max_upload_bytes",
    "MAX_EXPANDED_BYTES": "max_expanded_bytes",
    "MAX_ARCHIVE_ENTRIES": "max_archive_entries",
    "MAX_COMPRESSION_RATIO": "max_compression_ratio",
    "MAX_NESTED_DEPTH": "max_nested_depth",
    "UPLOAD_EXPIRY_SECONDS": "upload_expiry_seconds",
    "CLAMD_URL": "clamd_url",
    "EMAIL_BACKEND": "email_backend",
    "MAIL_FROM": "mail_from",
    "SENDGRID_API_KEY": "sendgrid_api_key",
    "SENDGRID_API_HOST": "sendgrid_api_host",
    "SMTP_HOST": "smtp_host",
    "SMTP_PORT": "smtp_port",
    "SMTP_SECURITY": "smtp_security",
    "SMTP_USERNAME": "smtp_username",
    "SMTP_PASSWORD": "smtp_password",
    "SMTP_TIMEOUT_SECONDS": "smtp_timeout_seconds",
    "EMAIL_RETRY_ATTEMPTS": "email_retry_attempts",
    "EMAIL_RETRY_WAIT_SECONDS": "email_retry_wait_seconds",
    "EMAIL_MAX_ATTEMPTS": "email_max_attempts",
    "NOTIFICATIONS_POLL_SECONDS": "notifications_poll_seconds",
    "GITHUB_API_URL": "github_api_url",
    "GITHUB_WEB_URL": "github_web_url",
    "GITHUB_APP_ID": "github_app_id",
    "GITHUB_APP_SLUG": "github_app_slug",
    "GITHUB_PRIVATE_KEY": "github_private_key",
    "GITHUB_WEBHOOK_SECRET": "github_webhook_secret",
    "GITHUB_CLIENT_ID": "github_client_id",
    "GITHUB_CLIENT_SECRET": "github_client_secret",
    "GITLAB_URL": "gitlab_url",
    "GITLAB_TOKEN": "gitlab_token",
    "GITLAB_WEBHOOK_TOKEN": "gitlab_webhook_token",
    "GITLAB_CLIENT_ID": "gitlab_client_id",
    "GITLAB_CLIENT_SECRET": "gitlab_client_secret",
    "WEBHOOK_MAX_BYTES": "webhook_max_bytes",
    "FORGE_TIMEOUT_SECONDS": "forge_timeout_seconds",
    "FORGE_MAX_ATTEMPTS": "forge_max_attempts",
    "FETCH_PATIENCE_SECONDS": "fetch_patience_seconds",
    "OFFER_TTL_SECONDS": "offer_ttl_seconds",
    "UNMATCHED_RETRY_SECONDS": "unmatched_retry_seconds",
    "MATCH_WEIGHT_COVERAGE": "match_weight_coverage",
    "MATCH_WEIGHT_RATING": "match_weight_rating",
    "MATCH_WEIGHT_LOAD": "match_weight_load",
    "MATCH_WEIGHT_ROTATION": "match_weight_rotation",
    "MATCH_WEIGHT_TIMEZONE": "match_weight_timezone",
    "MATCH_WEIGHT_TURNAROUND": "match_weight_turnaround",
    "TRUSTED_PROXIES": "trusted_proxies",
    "SESSION_COOKIE_SECURE": "session_cookie_secure",
    "RATE_LIMITS_ENABLED": "rate_limits_enabled",
    "RATE_LIMIT_DEFAULT": "rate_limit_default",
    "RATE_LIMIT_SUBMISSIONS": "rate_limit_submissions",
    "RATE_LIMIT_UPLOADS": "rate_limit_uploads",
    "RATE_LIMIT_REPO_FETCH": "rate_limit_repo_fetch",
    "RATE_LIMIT_SIGN_IN": "rate_limit_sign_in",
    "RATE_LIMIT_SIGN_UP": "rate_limit_sign_up",
    "RATE_LIMIT_PASSWORD_RESET": "rate_limit_password_reset",
    "RATE_LIMIT_API_TOKENS": "rate_limit_api_tokens",
    "RATE_LIMIT_WEBHOOKS": "rate_limit_webhooks",
    "AUTO_BLOCK_THRESHOLD": "auto_block_threshold",
    "AUTO_BLOCK_WINDOW_SECONDS": "auto_block_window_seconds",
    "EMBEDDED_WORKER": "embedded_worker",
    "JOB_MAX_ATTEMPTS": "job_max_attempts",
    "JOB_TIMEOUT_SECONDS": "job_timeout_seconds",
    "DISPATCH_INTERVAL_SECONDS": "dispatch_interval_seconds",
    "RQ_DASHBOARD_ENABLED": "rq_dashboard_enabled",
    "METRICS_TOKEN": "metrics_token",
    "PROMETHEUS_MULTIPROC_DIR": "prometheus_multiproc_dir",
}

# Settings production refuses to start without: the embedded defaults are unsafe or unshared.
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ENCRYPTION_KEYS", "BASE_URL")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _convert(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise SettingsError(f"{name} must be true or false, not {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if isinstance(default, Path):
        return Path(raw)
    return raw


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the environment into ``Settings``; fail naming the variable when it is unusable."""
    environ = os.environ if environ is None else environ
    defaults = Settings()
    values: dict[str, Any] = {}
    for var, attr in ENV_VARS.items():
        if var in environ:
            values[attr] = _convert(var, environ[var], getattr(defaults, attr))
    settings = replace(defaults, **values)
    if settings.env not in {"development", "production", "test"}:
        raise SettingsError("VETTED_ENV must be development, production or test")
    if settings.is_production:
        missing = [var for var in REQUIRED_IN_PRODUCTION if not environ.get(var)]
        if missing:
            raise SettingsError("Missing required production setting(s): " + ", ".join(missing))
        settings = replace(settings, session_cookie_secure=True, embedded_worker=False)
    return settings.resolved()


def development_secret(var_dir: Path, name: str) -> str:
    """A per-checkout secret kept in ``var/`` so that ``make run`` works with nothing configured."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / f".{name}"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


_active: Settings | None = None


def activate(settings: Settings) -> None:
    """Make ``settings`` the process's settings for code that runs outside a request.

    Jobs take ids, not objects, so they cannot be handed a ``Settings``: the app factory and the
    worker activate theirs here once, and tests activate what they need.
    """
    global _active
    _active = settings


def current_settings() -> Settings:
    """The activated settings; a bare process (a CLI script, a job run by hand) reads the
    environment, inventing the development secret key as ``make run`` does."""
    global _active
    if _active is None:
        settings = load_settings()
        if not settings.secret_key and not settings.is_production:
            secret = development_secret(Path(settings.var_dir), "secret_key")
            settings = settings.with_overrides(secret_key=secret)
        _active = settings
    return _active
