"""Print the configuration reference (``--env`` for .env.example, default Markdown for README).

Both are generated from ``settings.ENV_VARS`` and the descriptions here so they cannot drift;
tests/test_settings.py checks every variable appears in both files.
"""

from __future__ import annotations

import sys

from settings import ENV_VARS, Settings

DESCRIPTIONS: dict[str, str] = {
    "VETTED_ENV": "development, test or production (production requires the secrets below)",
    "BASE_URL": "public URL of the site, used in e-mails and PR comments",
    "SECRET_KEY": "signs sessions and links; invented and kept in var/ outside production",
    "VAR_DIR": "where the embedded defaults keep their files",
    "DATABASE_URL": "SQLAlchemy URL; PostgreSQL in production (default: SQLite in var/)",
    "REDIS_URL": "Redis for rq jobs and shared rate limits; empty runs jobs in-process",
    "ENCRYPTION_KEYS": "kid:base64key[,kid:key...]; first seals, all open (flask keys generate)",
    "STORAGE_DIR": "encrypted code and attachments (shared by all web servers)",
    "MAIL_DIR": "where the console e-mail backend writes .eml files",
    "LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR",
    "LOG_JSON": "true for JSON log lines with request, job and ticket ids",
    "MAX_UPLOAD_BYTES": "largest compressed archive accepted (200 MiB)",
    "MAX_EXPANDED_BYTES": "largest total size an archive may expand to (1 GiB)",
    "MAX_ARCHIVE_ENTRIES": "most files an archive may hold",
    "MAX_COMPRESSION_RATIO": "highest expanded/compressed ratio per entry (bomb guard)",
    "MAX_NESTED_DEPTH": "deepest archive-inside-archive nesting scanned",
    "UPLOAD_EXPIRY_SECONDS": "abandoned resumable uploads are deleted after this long",
    "CLAMD_URL": "tcp://host:3310 or unix:///path/clamd.ctl; empty uses the built-in scanner",
    "EMAIL_BACKEND": "console, smtp or sendgrid",
    "MAIL_FROM": "sender of every e-mail",
    "SENDGRID_API_KEY": "SendGrid API key (sendgrid backend)",
    "SENDGRID_API_HOST": "SendGrid API base URL",
    "SMTP_HOST": "SMTP server (smtp backend)",
    "SMTP_PORT": "SMTP port",
    "SMTP_SECURITY": "none, starttls or ssl",
    "SMTP_USERNAME": "SMTP user name (empty: no authentication)",
    "SMTP_PASSWORD": "SMTP password",
    "SMTP_TIMEOUT_SECONDS": "seconds to wait for the SMTP server (and the SendGrid API)",
    "EMAIL_RETRY_ATTEMPTS": "tries per delivery job on provider errors (tenacity, with backoff)",
    "EMAIL_RETRY_WAIT_SECONDS": "first backoff between those tries (doubles each time)",
    "EMAIL_MAX_ATTEMPTS": "delivery jobs per e-mail before it is recorded as failed",
    "NOTIFICATIONS_POLL_SECONDS": "how often open pages refresh the unread-alerts count",
    "GITHUB_API_URL": "GitHub REST API base URL (GitHub Enterprise: https://host/api/v3)",
    "GITHUB_WEB_URL": "GitHub web URL, for repository links and the App manifest flow",
    "GITHUB_APP_ID": "GitHub App id (when registered by hand)",
    "GITHUB_APP_SLUG": "GitHub App slug (its URL name)",
    "GITHUB_PRIVATE_KEY": "GitHub App private key, PEM text or a path to the .pem file",
    "GITHUB_WEBHOOK_SECRET": "GitHub App webhook secret",
    "GITHUB_CLIENT_ID": "OAuth client id for 'Sign in with GitHub' (optional)",
    "GITHUB_CLIENT_SECRET": "OAuth client secret for 'Sign in with GitHub'",
    "GITLAB_URL": "GitLab base URL (gitlab.com or your self-hosted GitLab)",
    "GITLAB_TOKEN": "GitLab bot account token (api scope) for MR comments and archives",
    "GITLAB_WEBHOOK_TOKEN": "default secret token GitLab sends in X-Gitlab-Token",
    "GITLAB_CLIENT_ID": "OAuth application id for 'Sign in with GitLab' (optional)",
    "GITLAB_CLIENT_SECRET": "OAuth application secret for 'Sign in with GitLab'",
    "WEBHOOK_MAX_BYTES": "largest webhook payload accepted",
    "FORGE_TIMEOUT_SECONDS": "read timeout of one GitHub/GitLab request (repository fetches)",
    "FORGE_MAX_ATTEMPTS": "attempts at a GitHub/GitLab call (timeouts, 5xx) before giving up",
    "FETCH_PATIENCE_SECONDS": "how long a forge outage is retried before the developer is asked",
    "OFFER_TTL_SECONDS": "how long a reviewer has to answer an offer (24 h)",
    "UNMATCHED_RETRY_SECONDS": "how often unmatched tickets are matched again",
    "MATCH_WEIGHT_COVERAGE": "matching score weight: expertise coverage",
    "MATCH_WEIGHT_RATING": "matching score weight: Bayesian-average rating",
    "MATCH_WEIGHT_LOAD": "matching score weight: fewer open reviews",
    "MATCH_WEIGHT_ROTATION": "matching score weight: longest since last offer",
    "MATCH_WEIGHT_TIMEZONE": "matching score weight: inside working hours now",
    "MATCH_WEIGHT_TURNAROUND": "matching score weight: faster past turnaround",
    "TRUSTED_PROXIES": "how many proxies in front set X-Forwarded-For (0: trust none)",
    "SESSION_COOKIE_SECURE": "send the session cookie over HTTPS only (forced in production)",
    "RATE_LIMITS_ENABLED": "turn rate limiting on or off",
    "RATE_LIMIT_DEFAULT": "limit for every route without its own",
    "RATE_LIMIT_SUBMISSIONS": "new review requests per account and per IP",
    "RATE_LIMIT_UPLOADS": "resumable uploads created per account and per IP",
    "RATE_LIMIT_REPO_FETCH": "repository URL submissions per account and per IP",
    "RATE_LIMIT_SIGN_IN": "sign-in attempts per IP",
    "RATE_LIMIT_SIGN_UP": "sign-ups per IP",
    "RATE_LIMIT_PASSWORD_RESET": "password reset requests per IP",
    "RATE_LIMIT_API_TOKENS": "API tokens created per account",
    "RATE_LIMIT_WEBHOOKS": "webhook deliveries per installation",
    "AUTO_BLOCK_THRESHOLD": "rate-limit hits or failed sign-ins from one IP before it is blocked",
    "AUTO_BLOCK_WINDOW_SECONDS": "seconds over which offences count (blocks: 15 min, 1 h, 24 h)",
    "EMBEDDED_WORKER": "run jobs on a thread in the web process when REDIS_URL is empty",
    "JOB_MAX_ATTEMPTS": "attempts before a job is marked failed for admins",
    "JOB_TIMEOUT_SECONDS": "longest a job may run before it is considered lost",
    "DISPATCH_INTERVAL_SECONDS": "how often the outbox is polled",
    "RQ_DASHBOARD_ENABLED": "serve rq's dashboard to admins at /admin/rq (when REDIS_URL is set)",
    "METRICS_TOKEN": "Bearer token for /metrics; empty: only loopback clients may scrape",
    "PROMETHEUS_MULTIPROC_DIR": "shared empty dir for metrics of several gunicorn processes",
}


def default_text(var: str) -> str:
    value = getattr(Settings(), ENV_VARS[var])
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def main() -> None:
    missing = set(ENV_VARS) - set(DESCRIPTIONS)
    if missing:
        sys.exit(f"undocumented settings: {', '.join(sorted(missing))}")
    if "--env" in sys.argv:
        print("# Vetted configuration. Every variable is optional outside production;")
        print("# the value shown is the default. Generated by scripts/envdoc.py --env.")
        for var in ENV_VARS:
            print(f"\n# {DESCRIPTIONS[var]}")
            print(f"{var}={default_text(var)}")
        return
    print("| variable | default | meaning |")
    print("|---|---|---|")
    for var in ENV_VARS:
        default = default_text(var) or "(empty)"
        print(f"| `{var}` | `{default}` | {DESCRIPTIONS[var]} |")


if __name__ == "__main__":
    main()
