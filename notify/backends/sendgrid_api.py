"""Sending through SendGrid's v3 mail send API with the official client."""

from __future__ import annotations

from urllib.error import URLError

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Content, Email, Header, Mail, To

from notify.backends.base import OutgoingEmail, PermanentEmailError, TransientEmailError
from settings import Settings

RETRYABLE_STATUSES = {408, 429, 500, 502, 503, 504}


def retry_after_seconds(headers: object) -> float | None:
    """``Retry-After`` as seconds (SendGrid sends seconds; an HTTP date is not expected)."""
    if headers is None:
        return None
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class SendGridBackend:
    name = "sendgrid"

    def __init__(self, settings: Settings):
        if not settings.sendgrid_api_key:
            raise PermanentEmailError("SENDGRID_API_KEY is not set")
        self.client = SendGridAPIClient(
            api_key=settings.sendgrid_api_key, host=settings.sendgrid_api_host.rstrip("/")
        )
        self.client.client.timeout = settings.smtp_timeout_seconds
        self.sender = settings.mail_from

    def _mail(self, email: OutgoingEmail) -> Mail:
        mail = Mail(
            from_email=Email(email.sender),
            to_emails=To(email.to),
            subject=email.subject,
        )
        mail.add_content(Content("text/plain", email.text))
        mail.add_content(Content("text/html", email.html))
        for name, value in {"Message-ID": email.message_id, **email.headers}.items():
            mail.add_header(Header(name, value))
        return mail

    def send(self, email: OutgoingEmail) -> str | None:
        try:
            response = self.client.send(self._mail(email))
        except HTTPError as exc:
            status = int(getattr(exc, "status_code", 0) or 0)
            if status in RETRYABLE_STATUSES:
                raise TransientEmailError(
                    f"SendGrid answered {status}", retry_after_seconds(exc.headers)
                ) from exc
            raise PermanentEmailError(f"SendGrid refused the message ({status})") from exc
        except (TimeoutError, URLError, OSError) as exc:
            raise TransientEmailError(f"SendGrid unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise TransientEmailError(f"SendGrid answered {response.status_code}")
        message_id = None
        if response.headers is not None:
            message_id = response.headers.get("X-Message-Id")
        return message_id or email.message_id
