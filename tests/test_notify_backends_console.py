"""The embedded default backend: .eml files under MAIL_DIR and one log line per message."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy

from notify.backends import get_backend
from notify.backends.base import OutgoingEmail
from settings import Settings


def test_each_message_becomes_an_eml_file_and_one_log_line_without_the_body(tmp_path, caplog):
    backend = get_backend(Settings(mail_dir=tmp_path / "mail"))
    email = OutgoingEmail(
        to="dana@example.com",
        subject="[VT-1] Hello",
        text="Accept: https://x/offers/1/email-answer?token=SECRET-TOKEN",
        html="<p>token SECRET-TOKEN</p>",
        sender="Vetted <no-reply@vetted.local>",
        message_id="<abc@vetted.local>",
        headers={"List-Unsubscribe": "<https://x/unsub?token=OTHER-SECRET>"},
    )
    with caplog.at_level(logging.INFO, logger="notify.backends.console"):
        name = backend.send(email)

    [path] = list((tmp_path / "mail").glob("*.eml"))
    assert path.name == name
    mail = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert mail["Subject"] == "[VT-1] Hello" and mail["Message-ID"] == "<abc@vetted.local>"
    assert "SECRET-TOKEN" in mail.get_body(("plain",)).get_content()
    assert "SECRET-TOKEN" in mail.get_body(("html",)).get_content()
    [record] = caplog.records
    assert "[VT-1] Hello" in record.getMessage() and "d***@example.com" in record.getMessage()
    assert "SECRET" not in caplog.text and "dana@" not in caplog.text


def test_an_unknown_backend_name_is_refused_naming_the_choices():
    import pytest

    from notify.backends import PermanentEmailError

    with pytest.raises(PermanentEmailError, match="console, smtp, sendgrid"):
        get_backend(Settings(email_backend="pigeon"))
