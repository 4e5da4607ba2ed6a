"""matching.evidence: certificates are checked before anything is stored."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest

from matching.evidence import EvidenceError, add_certificate, sniff_type, valid_username
from matching.verification import ensure_profile
from models.reviewers import Evidence
from tests.support.clamd import clamd_server_fixture, clamd_url_fixture  # noqa: F401
from tests.support.factories import make_user
from tests.support.services import free_port


@pytest.mark.parametrize(
    ("head", "kind"),
    [(b"%PDF-1.4", "application/pdf"), (b"\x89PNG\r\n\x1a\n..", "image/png"),
     (b"\xff\xd8\xff\xe0", "image/jpeg"), (b"MZ\x90\x00", None), (b"<svg", None)],
)  # fmt: skip
def test_the_file_type_is_read_from_its_first_bytes(head, kind):
    assert sniff_type(head) == kind


def test_usernames_are_checked():
    assert valid_username(" @octo-cat ") == "octo-cat"
    with pytest.raises(EvidenceError):
        valid_username("../../etc")


@pytest.mark.parametrize(
    ("content", "issuer", "issued_on", "message"),
    [
        (b"", "ISC2", date(2024, 1, 1), "The file is empty."),
        (b"GIF89a", "ISC2", date(2024, 1, 1), "Invalid file format"),
        (b"%PDF-1.7", "", date(2024, 1, 1), "issuer"),
        (b"%PDF-1.7", "ISC2", date.today() + timedelta(days=3), "future"),
    ],
)
def test_bad_certificates_are_refused_and_nothing_is_stored(
    pg_url, session, settings, content, issuer, issued_on, message
):
    profile = ensure_profile(session, make_user(session, "app@example.com"))
    with pytest.raises(EvidenceError, match=message):
        add_certificate(
            session,
            profile,
            io.BytesIO(content),
            tag="security",
            issuer=issuer,
            issued_on=issued_on,
            filename="c.pdf",
            settings=settings,
        )
    assert session.query(Evidence).count() == 0


def test_a_certificate_over_the_size_limit_is_refused(pg_url, session, settings, monkeypatch):
    import matching.evidence as evidence

    monkeypatch.setattr(evidence, "MAX_CERTIFICATE_BYTES", 16)
    profile = ensure_profile(session, make_user(session, "app@example.com"))
    with pytest.raises(EvidenceError, match="File size exceeds limit"):
        add_certificate(
            session, profile, io.BytesIO(b"%PDF-1.7" + b"0" * 64), tag="security",
            issuer="ISC2", issued_on=date(2024, 1, 1), filename="c.pdf", settings=settings,
        )  # fmt: skip


def _upload(session, settings, content: bytes):  # type: ignore[no-untyped-def]
    profile = ensure_profile(session, make_user(session, "app@example.com"))
    return add_certificate(
        session,
        profile,
        io.BytesIO(content),
        tag="security",
        issuer="ISC2",
        issued_on=date(2024, 1, 1),
        filename="cissp.pdf",
        settings=settings,
    )


def test_a_clean_certificate_is_scanned_by_clamd_and_stored_encrypted(
    pg_url, session, settings, clamd_url
):
    from intake.storage import read_blob

    scanned = settings.with_overrides(clamd_url=clamd_url)
    content = b"%PDF-1.7\n% CISSP certificate of Ada Lovelace\n"
    evidence = _upload(session, scanned, content)
    assert evidence.data["scan_engine"].startswith("clamav")
    stored = next(Path(settings.storage_dir).rglob(evidence.storage_key))
    assert b"Ada Lovelace" not in stored.read_bytes()
    assert read_blob(evidence.storage_key, root=Path(settings.storage_dir)) == content


def test_a_certificate_carrying_malware_is_refused_and_nothing_is_stored(
    pg_url, session, settings, clamd_url
):
    from intake.scanning import EICAR

    with pytest.raises(EvidenceError, match="malware scan found a threat"):
        _upload(session, settings.with_overrides(clamd_url=clamd_url), b"%PDF-1.7\n" + EICAR)
    assert session.query(Evidence).count() == 0


def test_with_clamd_down_a_certificate_is_refused_not_stored_unscanned(pg_url, session, settings):
    down = settings.with_overrides(clamd_url=f"tcp://127.0.0.1:{free_port()}")
    with pytest.raises(EvidenceError, match="briefly unavailable"):
        _upload(session, down, b"%PDF-1.7\n")
    assert session.query(Evidence).count() == 0
