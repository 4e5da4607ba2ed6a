"""The embedded default: each message becomes an ``.eml`` file under ``MAIL_DIR``."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from models.base import utcnow
from notify.backends.base import OutgoingEmail, TransientEmailError, mask_address, to_mime
from settings import Settings

log = logging.getLogger(__name__)


class ConsoleBackend:
    name = "console"

    def __init__(self, settings: Settings):
        self.directory = Path(settings.mail_dir)

    def send(self, email: OutgoingEmail) -> str | None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        ident = re.sub(r"[^A-Za-z0-9._-]", "_", email.message_id.strip("<>"))[:120]
        path = self.directory / f"{stamp}-{ident}.eml"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bytes(to_mime(email)))
        except OSError as exc:
            raise TransientEmailError(f"cannot write {path}: {exc.strerror}") from exc
        # One line, no body: links in the body carry signed tokens.
        log.info("e-mail to %s %r written to %s", mask_address(email.to), email.subject, path)
        return path.name
