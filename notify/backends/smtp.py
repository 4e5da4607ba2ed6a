"""Sending through an SMTP server: plain, STARTTLS or SSL, with optional credentials."""

from __future__ import annotations

import smtplib
import ssl

from notify.backends.base import (
    OutgoingEmail,
    PermanentEmailError,
    TransientEmailError,
    to_mime,
)
from settings import Settings

SECURITY_MODES = ("none", "starttls", "ssl")


class SmtpBackend:
    name = "smtp"

    def __init__(self, settings: Settings):
        self.settings = settings
        self.security = (settings.smtp_security or "none").lower()
        if self.security not in SECURITY_MODES:
            raise PermanentEmailError(
                f"SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {self.security!r}"
            )

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if self.security == "ssl":
            return smtplib.SMTP_SSL(
                s.smtp_host,
                s.smtp_port,
                timeout=s.smtp_timeout_seconds,
                context=ssl.create_default_context(),
            )
        client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        if self.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, email: OutgoingEmail) -> str | None:
        try:
            with self._connect() as client:
                if self.settings.smtp_username:
                    client.login(self.settings.smtp_username, self.settings.smtp_password)
                refused = client.send_message(to_mime(email))
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentEmailError(f"SMTP login refused ({exc.smtp_code})") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            if all(code >= 500 for code in codes):
                raise PermanentEmailError(f"recipient refused ({codes})") from exc
            raise TransientEmailError(f"recipient deferred ({codes})") from exc
        except smtplib.SMTPResponseException as exc:
            reply = f"SMTP {exc.smtp_code}"
            if exc.smtp_code >= 500:
                raise PermanentEmailError(reply) from exc
            raise TransientEmailError(reply) from exc
        except (TimeoutError, smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise TransientEmailError(f"SMTP server unreachable: {type(exc).__name__}") from exc
        if refused:
            raise PermanentEmailError(f"recipient refused ({sorted(refused)})")
        return email.message_id
