"""The intake pipeline: submitted → scanning → (fetch) → validate → scan → store → matching.

Idempotent and safe to run twice at once. The heavy work happens outside any transaction;
short locked transactions move the ticket before and after it, and the second one only
applies results if the ticket is still where this run left it. Faults delay, never lose:
clamd down or a forge rate limit → ``RetryLater`` with the ticket waiting in ``scanning``; a
forge that stays down → back to ``submitted`` with ``fetch_failed`` and a retry button.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from forges.errors import RateLimited
from intake import code, storage
from intake.archives import ArchiveError, Limits, extract_archive
from intake.languages import detect
from intake.leaks import scan_tree_for_secrets
from intake.scanning import ScannerUnavailable, scan_path, scan_tree
from jobs.errors import PermanentJobError, RetryLater
from jobs.outbox import enqueue
from models.base import utcnow
from models.db import session_scope
from models.tickets import SourceKind, Submission, TicketStatus
from reviews.state import Actor, can_transition, lock_ticket, transition
from settings import Settings, current_settings

log = logging.getLogger(__name__)

FETCH_FAILED = "fetch_failed"
FETCH_FAILED_MESSAGE = "Unable to fetch the repository at this time. Please try again later."
UPLOAD_MISSING = "Your upload could not be found. Please submit the archive again."
SCANNING_REASON = "Checking and scanning your code."
SCANNER_WAIT_REASON = "Waiting for the malware scanner; your code stays private until scanned."
RATE_LIMIT_REASON = "The code host asked us to slow down; fetching resumes automatically."
SCANNER_RETRY_SECONDS = 30.0
FORGE_RETRY_SECONDS = 20.0
FORGE_WAIT_REASON = "GitHub or GitLab is not answering right now; trying again shortly."
LIMITS_SIGNATURE = "Heuristics.Limits.Exceeded"
SCAN_LIMITS_MESSAGE = (
    "The malware scanner could not check all of this archive (it exceeds the scanner's limits)."
)
STALE_WORK_SECONDS = 6 * 3600


class FetchFailed(Exception):  # noqa: N818 - reads as the outcome at the raise site
    """The forge stayed unreachable after retries: the developer may try again later."""


class FetchRefused(Exception):  # noqa: N818
    """The repository cannot be fetched at all (missing, private, too big): reject."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Outcome:
    """What the unlocked phase found, applied in the final transaction."""

    manifest_key: str | None = None
    languages: list[str] = field(default_factory=list)
    frameworks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    engine: str | None = None
    reject: tuple[str, str] | None = None  # (message, error_code)
    malware: str | None = None
    commit: str | None = None


def work_root(settings: Settings) -> Path:
    path = Path(settings.storage_dir) / "work"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _begin(ticket_id: int) -> str | None:
    """Move the ticket to ``scanning``; returns its status if this run should proceed."""
    with session_scope() as session:
        ticket = lock_ticket(session, ticket_id)
        if ticket is None:
            raise PermanentJobError(f"ticket {ticket_id} does not exist")
        has_code = ticket.upload_id or ticket.archive_key or ticket.repo_full_name
        if not has_code:
            # no door makes such a ticket: an internal fault for admins, not the developer's
            raise PermanentJobError(f"ticket {ticket.ticket_id} has no code to process")
        if ticket.status == TicketStatus.SUBMITTED.value:
            if ticket.error_code == FETCH_FAILED:
                return None  # waiting for the developer's retry
            ticket.error_code = None
            transition(session, ticket, TicketStatus.SCANNING, reason=SCANNING_REASON)
            return TicketStatus.SCANNING.value
        if ticket.status == TicketStatus.SCANNING.value:
            return ticket.status
        return None  # already past intake (or cancelled): nothing to do


def _obtain_archive(
    settings: Settings, ticket: Submission, workdir: Path, outcome: Outcome
) -> Path | None:
    """The submitted archive, decrypted into the work dir (uploads) or fetched (forges)."""
    target = workdir / "archive"
    if ticket.source == SourceKind.UPLOAD.value and not ticket.upload_id and ticket.archive_key:
        return None  # code given as a tree (``code.store_tree_for_ticket``), no archive
    if ticket.source == SourceKind.UPLOAD.value:
        try:
            if not ticket.upload_id:
                raise FileNotFoundError(ticket.ticket_id)
            storage.copy_blob_to(ticket.upload_id, target)
        except FileNotFoundError:
            raise FetchRefused(UPLOAD_MISSING, "upload_missing") from None
        return target
    from intake.fetching import fetch_ticket_archive

    fetched = fetch_ticket_archive(settings, ticket, target)
    outcome.commit = fetched.commit
    return fetched.path


def _analyse(settings: Settings, ticket: Submission, workdir: Path) -> Outcome:
    outcome = Outcome()
    try:
        archive = _obtain_archive(settings, ticket, workdir, outcome)
    except FetchRefused as refused:
        outcome.reject = (refused.message, refused.code)
        return outcome
    tree = workdir / "tree"
    if archive is None:
        _materialise_tree(ticket, tree)
        result = scan_tree(settings, tree)
    else:
        try:
            extract_archive(archive, tree, Limits.from_settings(settings))
        except ArchiveError as error:
            outcome.reject = (error.message, error.code)
            return outcome
        result = scan_path(settings, archive)  # ScannerUnavailable propagates: fail closed
    outcome.engine = result.engine
    if not result.clean:
        outcome.malware = result.signature or "unknown"
        if outcome.malware.startswith(LIMITS_SIGNATURE):
            # AlertExceedsMax: clamd could not look at everything, so we do not vouch for it
            outcome.reject = (SCAN_LIMITS_MESSAGE, "scan_limits")
        else:
            outcome.reject = (f"Malware detected: {outcome.malware}", "malware")
        return outcome
    outcome.warnings = scan_tree_for_secrets(tree)
    detection = detect(tree)
    outcome.languages, outcome.frameworks = detection.languages, detection.frameworks
    outcome.manifest_key, _ = code.store_tree(tree)
    return outcome


def _materialise_tree(ticket: Submission, tree: Path) -> None:
    """Decrypt a stored tree into the work dir, to scan and analyse it like an extraction."""
    for entry in code.list_files(ticket):
        target = tree / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        storage.copy_blob_to(entry.blob, target)


def _discard(ticket: Submission) -> None:
    """An infected or invalid submission keeps nothing: raw upload and any tree."""
    if ticket.upload_id:
        storage.delete_blob(ticket.upload_id)
        ticket.upload_id = None
    if ticket.archive_key:
        code.delete_tree(ticket.archive_key)
        ticket.archive_key = None


def _apply(ticket_id: int, outcome: Outcome) -> None:
    with session_scope() as session:
        ticket = lock_ticket(session, ticket_id)
        if ticket is None or ticket.status != TicketStatus.SCANNING.value:
            code.delete_tree(outcome.manifest_key)  # someone else finished (or cancelled)
            return
        ticket.scan_engine = outcome.engine
        if outcome.commit and ticket.source == SourceKind.REPO_URL.value:
            ticket.head_sha = outcome.commit
        if outcome.reject is not None:
            message, error_code = outcome.reject
            _discard(ticket)
            ticket.error_code = error_code
            ticket.scan_result = f"infected: {outcome.malware}" if outcome.malware else None
            transition(session, ticket, TicketStatus.REJECTED, reason=message)
            return
        old = ticket.archive_key
        ticket.archive_key = outcome.manifest_key
        ticket.scan_result = "clean"
        ticket.languages = outcome.languages
        ticket.frameworks = outcome.frameworks
        ticket.warnings = outcome.warnings
        ticket.error_code = None
        if ticket.reviewer_id is not None and can_transition(ticket, TicketStatus.IN_REVIEW):
            # a re-scan (e.g. new commits on a PR): the assigned reviewer carries on
            transition(session, ticket, TicketStatus.IN_REVIEW, reason="Updated code scanned.")
        else:
            transition(session, ticket, TicketStatus.MATCHING, reason="Looking for a reviewer.")
    if old and old != outcome.manifest_key:
        code.delete_tree(old)


def _still_patient(settings: Settings, ticket_id: int) -> bool:
    """A forge outage is waited out for FETCH_PATIENCE_SECONDS (counted from when this attempt
    at intake began) before the developer is asked to retry: a short blip needs nobody."""
    with session_scope() as session:
        ticket = session.get(Submission, ticket_id)
        if ticket is None or ticket.status != TicketStatus.SCANNING.value:
            return False
        waited = (utcnow() - ticket.status_changed_at).total_seconds()
        return waited < settings.fetch_patience_seconds


def _fetch_failed(ticket_id: int) -> None:
    with session_scope() as session:
        ticket = lock_ticket(session, ticket_id)
        if ticket is None or ticket.status != TicketStatus.SCANNING.value:
            return
        ticket.error_code = FETCH_FAILED
        transition(session, ticket, TicketStatus.SUBMITTED, reason=FETCH_FAILED_MESSAGE)
        enqueue(
            session, "notify.jobs.notify_event", event="ticket.fetch_failed", ticket_id=ticket.id
        )


def _note_waiting(ticket_id: int, reason: str, event: str | None = None) -> None:
    """Say why the ticket waits; ``event`` tells the developer once per wait (notify dedups)."""
    with session_scope() as session:
        ticket = lock_ticket(session, ticket_id)
        if ticket is not None and ticket.status == TicketStatus.SCANNING.value:
            ticket.status_reason = reason
            if event:
                enqueue(session, "notify.jobs.notify_event", event=event, ticket_id=ticket.id)


def process_submission(ticket_id: int) -> None:
    """Run a submitted ticket through intake (see the module docstring)."""
    settings = current_settings()
    if _begin(ticket_id) is None:
        return
    with session_scope() as session:
        ticket = session.get(Submission, ticket_id)
        assert ticket is not None
        session.expunge(ticket)
    workdir = Path(tempfile.mkdtemp(prefix=f"{ticket.ticket_id}-", dir=work_root(settings)))
    try:
        outcome = _analyse(settings, ticket, workdir)
    except ScannerUnavailable as down:
        _note_waiting(ticket_id, SCANNER_WAIT_REASON, event="ticket.scan_failed")
        raise RetryLater(str(down), SCANNER_RETRY_SECONDS) from None
    except FetchFailed as failed:
        if _still_patient(settings, ticket_id):
            _note_waiting(ticket_id, FORGE_WAIT_REASON)
            raise RetryLater(str(failed) or "forge unavailable", FORGE_RETRY_SECONDS) from None
        _fetch_failed(ticket_id)
        return
    except RateLimited as limited:
        _note_waiting(ticket_id, RATE_LIMIT_REASON)
        raise RetryLater(str(limited), max(limited.seconds, 30.0)) from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    try:
        _apply(ticket_id, outcome)
    except BaseException:
        code.delete_tree(outcome.manifest_key)
        raise


def retry_submission(session: Session, ticket: Submission, *, actor: Actor) -> bool:
    """The developer's one-click retry after ``fetch_failed``; False when there is none to do."""
    if ticket.status != TicketStatus.SUBMITTED.value or ticket.error_code != FETCH_FAILED:
        return False
    ticket.error_code = None
    ticket.status_reason = "Trying again to fetch the repository."
    enqueue(session, "intake.jobs.process_submission", ticket_id=ticket.id)
    from models.audit import record_audit

    record_audit(
        session,
        "ticket.retry",
        actor_id=actor.user_id,
        ip=actor.ip,
        object_type="ticket",
        object_id=ticket.ticket_id,
    )
    return True


def cleanup_uploads() -> dict[str, int]:
    """Periodic: expired resumable uploads and work dirs abandoned by a killed worker."""
    settings = current_settings()
    removed = {"work": 0, "uploads": 0}
    cutoff = time.time() - STALE_WORK_SECONDS
    for path in work_root(settings).iterdir():
        if path.lstat().st_mtime < cutoff:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed["work"] += 1
    from intake.tus import expire_uploads

    removed["uploads"] = expire_uploads(settings, now=utcnow())
    return removed
