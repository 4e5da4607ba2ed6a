"""reviews.attachments: checked, scanned by a real clamd, stored encrypted, released when clean."""

import io

import pytest

from intake.scanning import EICAR
from intake.storage import blob_path
from models.outbox import Outbox
from models.reviews import Attachment
from reviews import attachments
from reviews.attachments import AttachmentError, AttachmentNotFound
from tests.support.clamd import clamd_server_fixture, clamd_url_fixture  # noqa: F401
from tests.support.services import free_port
from tests.support.workspace import make_workspace

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def scanning(settings, clamd_url):
    from settings import activate

    configured = settings.with_overrides(clamd_url=clamd_url)
    activate(configured)
    return configured


@pytest.fixture
def ws(session, settings, tmp_path):
    return make_workspace(session, settings, tmp_path)


def _attach(session, settings, ws, data, filename="report.pdf", kind="report", who=None):
    return attachments.add_attachment(
        session,
        settings,
        ws.ticket,
        who or ws.reviewer,
        filename=filename,
        stream=io.BytesIO(data),
        kind=kind,
    )


def test_a_clean_report_is_scanned_stored_encrypted_and_downloadable(session, scanning, ws):
    attachment = _attach(session, scanning, ws, PDF)
    session.commit()
    assert attachment.scan_status == "clean" and attachment.scan_result == "clamav"
    assert attachment.content_type == "application/pdf" and attachment.size == len(PDF)
    assert PDF not in blob_path(attachment.storage_key).read_bytes()
    found = attachments.get_downloadable(session, ws.ticket, ws.owner, attachment.id)
    assert attachments.read_attachment(found) == PDF


def test_malware_is_refused_and_nothing_is_stored(session, scanning, ws):
    with pytest.raises(AttachmentError, match="flagged as malware"):
        _attach(session, scanning, ws, EICAR, filename="notes.txt")
    session.rollback()
    assert session.query(Attachment).count() == 0


@pytest.mark.parametrize(
    ("data", "filename", "kind", "message"),
    [
        (PDF, "report.exe", "report", "a report must be .pdf, .md, .txt"),
        (b"not a pdf", "report.pdf", "report", "the content is not a .pdf file"),
        (b"\x00\x01binary", "notes.txt", "report", "must be text"),
        (PDF, "fix.zip", "fixed_code", "the content is not a .zip file"),
        (b"", "empty.md", "report", "The file is empty."),
        (PDF, "report.pdf", "virus", "Unknown attachment type"),
    ],
)
def test_wrong_types_and_contents_are_refused_with_a_clear_message(
    session, scanning, ws, data, filename, kind, message
):
    with pytest.raises(AttachmentError, match=message):
        _attach(session, scanning, ws, data, filename=filename, kind=kind)
    session.rollback()
    assert session.query(Attachment).count() == 0


def test_files_over_the_limit_are_refused(session, scanning, ws):
    small = scanning.with_overrides(max_upload_bytes=1024)
    with pytest.raises(AttachmentError, match="File size exceeds limit"):
        _attach(session, small, ws, PDF + b"x" * 2048)


def test_only_the_assigned_reviewer_attaches(session, scanning, ws):
    with pytest.raises(AttachmentError, match="Only the assigned reviewer"):
        _attach(session, scanning, ws, PDF, who=ws.owner)


def test_when_the_scanner_is_down_the_file_waits_and_a_job_scans_it_later(
    session, settings, clamd_url, ws
):
    from settings import activate

    down = settings.with_overrides(clamd_url=f"tcp://127.0.0.1:{free_port()}")
    activate(down)
    attachment = _attach(session, down, ws, PDF)
    session.commit()
    assert attachment.scan_status == "pending"
    assert session.query(Outbox).filter_by(job="reviews.attachments.scan_attachment").count() == 1
    with pytest.raises(AttachmentNotFound):
        attachments.get_downloadable(session, ws.ticket, ws.owner, attachment.id)
    activate(settings.with_overrides(clamd_url=clamd_url))
    attachments.scan_attachment(attachment.id)  # what the queued job runs
    attachments.scan_attachment(attachment.id)  # and running it twice changes nothing
    session.expire_all()
    assert session.get(Attachment, attachment.id).scan_status == "clean"
    assert attachments.get_downloadable(session, ws.ticket, ws.owner, attachment.id)
