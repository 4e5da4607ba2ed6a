import os
import time

import pytest
from sqlalchemy import select

from intake import code, storage
from intake.jobs import FETCH_FAILED, cleanup_uploads, process_submission, work_root
from intake.scanning import EICAR
from jobs.dispatch import drain
from jobs.errors import RetryLater
from models.outbox import Outbox
from models.tickets import TicketStatus
from settings import activate
from tests.support.clamd import clamd_server_fixture, clamd_url_fixture  # noqa: F401
from tests.support.factories import make_user
from tests.support.hostile import nested_zip
from tests.support.intake import intake_settings_fixture, submit_file, submit_zip  # noqa: F401
from tests.support.services import free_port

CODE = {"app/main.py": "import flask\nprint('hi')\n", "requirements.txt": "flask>=3\n"}


def test_a_clean_upload_is_stored_encrypted_and_moves_to_matching(
    session, intake_settings, tmp_path
):
    owner = make_user(session)
    ticket = submit_zip(session, intake_settings, owner, CODE, tmp_path)
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.MATCHING.value
    assert ticket.scanned_at is not None and ticket.scan_result == "clean"
    assert ticket.scan_engine == "builtin"
    assert ticket.languages == ["python"] and ticket.frameworks == ["flask"]
    assert sorted(f.path for f in code.list_files(ticket)) == sorted(CODE)
    assert code.read_file(ticket, "app/main.py") == CODE["app/main.py"].encode()
    assert not any(work_root(intake_settings).iterdir()), "no plaintext left behind"


def test_the_pipeline_runs_from_the_outbox_when_a_ticket_is_submitted(
    session, intake_settings, tmp_path
):
    ticket = submit_zip(session, intake_settings, make_user(session), CODE, tmp_path)
    drain(intake_settings)
    session.refresh(ticket)
    # intake handed it to matching (which, with no reviewers, parks it as unmatched)
    assert ticket.scanned_at is not None and ticket.archive_key
    assert ticket.status in {TicketStatus.MATCHING.value, TicketStatus.UNMATCHED.value}


def test_running_the_job_twice_changes_nothing_more(session, intake_settings, tmp_path):
    ticket = submit_zip(session, intake_settings, make_user(session), CODE, tmp_path)
    process_submission(ticket.id)
    blobs = set(storage.iter_blob_keys())
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.MATCHING.value
    assert set(storage.iter_blob_keys()) == blobs
    matching_jobs = session.scalars(
        select(Outbox).where(Outbox.job == "matching.jobs.match_ticket")
    ).all()
    assert len(matching_jobs) == 1


def test_a_hostile_archive_rejects_the_ticket_with_its_message_and_keeps_nothing(
    session, intake_settings, tmp_path
):
    path = nested_zip(tmp_path / "42.zip", depth=5)
    ticket = submit_file(session, intake_settings, make_user(session), path)
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.REJECTED.value
    assert ticket.status_reason == "Archive contains archives nested too deeply"
    assert ticket.error_code == "archive_nested"
    assert ticket.upload_id is None and list(storage.iter_blob_keys()) == []


def test_malware_found_by_the_builtin_scanner_rejects_and_destroys_the_files(
    session, intake_settings, tmp_path
):
    ticket = submit_zip(
        session, intake_settings, make_user(session), {"x.py": "1", "e.txt": EICAR}, tmp_path
    )
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.REJECTED.value
    assert ticket.status_reason == "Malware detected: Eicar-Test-Signature"
    assert ticket.archive_key is None and list(storage.iter_blob_keys()) == []


def test_malware_found_by_clamd_rejects_the_ticket(session, intake_settings, clamd_url, tmp_path):
    activate(intake_settings.with_overrides(clamd_url=clamd_url))
    ticket = submit_zip(session, intake_settings, make_user(session), {"e.txt": EICAR}, tmp_path)
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.REJECTED.value
    assert ticket.status_reason.startswith("Malware detected: Eicar-Test-Signature")
    assert ticket.scan_engine == "clamav"
    assert list(storage.iter_blob_keys()) == []


def test_with_clamd_down_the_ticket_waits_in_scanning_then_proceeds(
    session, intake_settings, clamd_url, tmp_path
):
    activate(intake_settings.with_overrides(clamd_url=f"tcp://127.0.0.1:{free_port()}"))
    ticket = submit_zip(session, intake_settings, make_user(session), CODE, tmp_path)
    with pytest.raises(RetryLater):
        process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.SCANNING.value
    assert "scanner" in ticket.status_reason
    assert ticket.archive_key is None, "nothing is released unscanned"
    activate(intake_settings.with_overrides(clamd_url=clamd_url))
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.MATCHING.value
    assert ticket.scan_engine == "clamav"


def test_likely_secrets_become_warnings_on_the_ticket(session, intake_settings, tmp_path):
    files = {"settings.py": "AWS = 'AKIA" + "ABCDEFGHIJKLMNOP'\n"}
    ticket = submit_zip(session, intake_settings, make_user(session), files, tmp_path)
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.MATCHING.value
    assert ticket.warnings and "AWS access key ID in settings.py (line 1)" in ticket.warnings[0]


def test_a_ticket_waiting_for_a_fetch_retry_is_left_alone(session, intake_settings, tmp_path):
    ticket = submit_zip(session, intake_settings, make_user(session), CODE, tmp_path)
    ticket.error_code = FETCH_FAILED
    session.commit()
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.SUBMITTED.value


def test_cleanup_removes_abandoned_work_directories(intake_settings):
    stale = work_root(intake_settings) / "VT-OLD"
    stale.mkdir()
    (stale / "code.py").write_text("x")
    fresh = work_root(intake_settings) / "VT-NEW"
    fresh.mkdir()
    old = time.time() - 7 * 3600
    os.utime(stale, (old, old))
    assert cleanup_uploads()["work"] == 1
    assert not stale.exists() and fresh.exists()


def test_a_rescan_of_a_ticket_with_a_reviewer_returns_it_to_review(
    session, intake_settings, tmp_path
):
    ticket = submit_zip(session, intake_settings, make_user(session), CODE, tmp_path)
    reviewer = make_user(session, "rev@example.com", "reviewer")
    ticket.reviewer_id = reviewer.id
    session.commit()
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.IN_REVIEW.value


def test_key_rotation_reseals_stored_code(session, intake_settings, tmp_path):
    from models.crypto import Keyring, configure_keyring, generate_key, get_keyring
    from models.rotation import rotate_everything

    ticket = submit_zip(session, intake_settings, make_user(session), CODE, tmp_path)
    process_submission(ticket.id)
    session.refresh(ticket)
    assert get_keyring().current.kid == "t1"
    fresh = f"k9:{generate_key()}"
    from tests.conftest import TEST_KEYS

    both = Keyring.from_setting(f"{fresh},{TEST_KEYS}")
    configure_keyring(both)
    try:
        changed = rotate_everything(session, both)
        session.commit()
        assert changed["rotate_blobs"] >= len(CODE) + 2  # files, manifest, raw upload
        configure_keyring(Keyring.from_setting(fresh))
        session.expire_all()
        assert code.read_file(ticket, "app/main.py") == CODE["app/main.py"].encode()
    finally:
        configure_keyring(Keyring.from_setting(TEST_KEYS))


def test_an_archive_beyond_the_scanners_limits_is_refused_not_passed(
    session, intake_settings, tmp_path
):
    from tests.support.clamd import Clamd

    server = Clamd(tmp_path / "small-clamd")
    server.start(max_file_size="1M")  # AlertExceedsMax is on, as in production
    try:
        activate(intake_settings.with_overrides(clamd_url=server.url))
        files = {"big.bin": os.urandom(2 * 1024 * 1024)}
        ticket = submit_zip(session, intake_settings, make_user(session), files, tmp_path)
        process_submission(ticket.id)
    finally:
        server.stop()
    session.refresh(ticket)
    assert ticket.status == TicketStatus.REJECTED.value
    assert ticket.error_code == "scan_limits"
    assert "exceeds the scanner's limits" in ticket.status_reason


def test_an_upload_whose_stored_file_vanished_is_rejected_with_a_clear_reason(
    session, intake_settings, tmp_path
):
    ticket = submit_zip(session, intake_settings, make_user(session), CODE, tmp_path)
    storage.delete_blob(ticket.upload_id)
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.REJECTED.value
    assert (
        ticket.status_reason == "Your upload could not be found. Please submit the archive again."
    )


def test_a_scanner_outage_tells_the_developer_and_a_failed_fetch_too(
    session, intake_settings, tmp_path
):
    activate(intake_settings.with_overrides(clamd_url=f"tcp://127.0.0.1:{free_port()}"))
    ticket = submit_zip(session, intake_settings, make_user(session), CODE, tmp_path)
    with pytest.raises(RetryLater):
        process_submission(ticket.id)
    events = [
        row.kwargs["event"]
        for row in session.scalars(select(Outbox).where(Outbox.job == "notify.jobs.notify_event"))
    ]
    assert events == ["ticket.scan_failed"]


def test_code_given_as_a_tree_is_scanned_and_passed_on(session, intake_settings, tmp_path):
    from tests.support.factories import make_ticket
    from tests.support.intake import write_tree

    ticket = make_ticket(session, make_user(session))
    code.store_tree_for_ticket(session, ticket, write_tree(tmp_path / "src", CODE))
    session.commit()
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.MATCHING.value
    assert ticket.frameworks == ["flask"]
    assert code.read_file(ticket, "app/main.py") == CODE["app/main.py"].encode()


def test_a_tree_with_malware_is_rejected(session, intake_settings, tmp_path):
    from tests.support.factories import make_ticket
    from tests.support.intake import write_tree

    ticket = make_ticket(session, make_user(session))
    code.store_tree_for_ticket(session, ticket, write_tree(tmp_path / "src", {"x": EICAR}))
    session.commit()
    process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.REJECTED.value
    assert list(storage.iter_blob_keys()) == []


def test_a_ticket_without_any_code_is_left_alone_for_admins(session, intake_settings):
    from jobs.errors import PermanentJobError
    from tests.support.factories import make_ticket

    ticket = make_ticket(session, make_user(session))
    session.commit()
    with pytest.raises(PermanentJobError):
        process_submission(ticket.id)
    session.refresh(ticket)
    assert ticket.status == TicketStatus.SUBMITTED.value
