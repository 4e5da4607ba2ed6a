"""What every backend sends, and how a backend reports that sending failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str
    sender: str
    message_id: str  # "<...@...>", stable per delivery so a resend would be recognisable
    headers: dict[str, str] = field(default_factory=dict)


class TransientEmailError(Exception):
    """The provider did not take the message but may later (5xx, 429, connection refused)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentEmailError(Exception):
    """Retrying cannot help (bad address, rejected credentials, malformed request)."""


class EmailBackend(Protocol):
    name: str

    def send(self, email: OutgoingEmail) -> str | None:
        """Hand the message over; return the provider's id for it when there is one."""
        ...


def to_mime(email: OutgoingEmail) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML second (what clients prefer)."""
    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = email.message_id
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


def mask_address(address: str) -> str:
    """For logs: enough to recognise a recipient, not enough to harvest the address."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
