"""Walking a PR ticket through the parts other teams own (intake, matching) in tests.

The forge side is exercised for real; intake's fetch is done with the same token and client
intake uses (``access_token_for`` + ``ForgeClient.download``), and matching's accept with the
state machine, so these tests do not depend on those teams' jobs being merged.
"""

from __future__ import annotations

import copy
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from forges.credentials import access_token_for
from forges.http import ForgeClient
from jobs.dispatch import drain
from models.offers import Offer, OfferStatus
from models.tickets import Submission, TicketStatus
from models.users import User
from reviews.state import transition
from tests.support.forge_payloads import github_headers, github_payload


def fetch_like_intake(ticket: Submission, api_url: str, path: str, dest: Path) -> list[str]:
    """Download the archive at the head SHA with the ticket's token; return the file names."""
    token = access_token_for(ticket)
    assert token, "no token for a PR ticket"
    scheme = "token" if ticket.forge == "github" else "PRIVATE-TOKEN"
    client = ForgeClient(api_url, token=token, auth_scheme=scheme)
    client.download(path, dest, max_bytes=10 * 1024 * 1024)
    with tarfile.open(dest) as archive:
        return [m.name.split("/", 1)[1] for m in archive.getmembers()]


def accept_as(session: Session, ticket: Submission, reviewer: User) -> None:
    """What intake then matching do: scanned, matched, offered to ``reviewer``, who accepts
    through matching's real ``accept_offer``."""
    from datetime import timedelta

    from matching.offers import accept_offer
    from models.base import utcnow
    from models.reviewers import ReviewerProfile

    for status in (TicketStatus.SCANNING, TicketStatus.MATCHING, TicketStatus.OFFERED):
        transition(session, ticket, status)
    offer = Offer(
        submission_id=ticket.id,
        reviewer_id=reviewer.id,
        status=OfferStatus.OFFERED.value,
        expires_at=utcnow() + timedelta(days=1),
    )
    session.add(offer)
    profile = session.query(ReviewerProfile).filter_by(user_id=reviewer.id).one()
    profile.pending_offers += 1
    session.flush()
    accept_offer(session, offer.id, reviewer.id)
    session.commit()


def deliver_github(client, event: str, payload: dict[str, Any], delivery: str | None = None):  # type: ignore[no-untyped-def]
    body = json.dumps(payload).encode()
    response = client.post(
        "/webhooks/github", data=body, headers=github_headers(event, body, delivery=delivery)
    )
    assert response.status_code in (200, 202), response.json
    return response


def github_event(relative: str, **changes: Any) -> dict[str, Any]:
    """A fixture payload with some fields replaced (dotted paths: ``pull_request.number``)."""
    payload = copy.deepcopy(github_payload(relative))
    for dotted, value in changes.items():
        node = payload
        *parents, last = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return payload


def run_jobs(settings) -> int:  # type: ignore[no-untyped-def]
    return drain(settings)


def gitlab_event(name: str, **changes: Any) -> dict[str, Any]:
    from tests.support.forge_payloads import gitlab_payload

    payload = copy.deepcopy(gitlab_payload(name))
    for dotted, value in changes.items():
        node = payload
        *parents, last = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return payload


def deliver_gitlab(client, event: str, payload: dict[str, Any], uuid_value: str | None = None):  # type: ignore[no-untyped-def]
    from tests.support.forge_payloads import gitlab_headers

    body = json.dumps(payload).encode()
    response = client.post(
        "/webhooks/gitlab", data=body, headers=gitlab_headers(event, uuid_value=uuid_value)
    )
    assert response.status_code in (200, 202), response.json
    return response


@pytest.fixture
def forge_only_pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Transitions cause only the bot's work: these tests play intake and matching by hand
    (``accept_as``), so those teams' jobs must not move the ticket under them."""
    import bot.flow
    import reviews.state

    monkeypatch.setattr(reviews.state, "JOBS_ON_ENTER", {})
    monkeypatch.setattr(reviews.state, "EVENT_HANDLERS", ("bot.jobs.ticket_event",))
    monkeypatch.setattr(bot.flow, "RESCAN_JOB", "tests.support.forge_flow.record_rescan")
    yield


def record_rescan(ticket_id: int) -> None:
    """Stands in for intake's pipeline on a rescan: records that it was asked to run."""
    from models.audit import record_audit
    from models.db import session_scope

    with session_scope() as session:
        record_audit(session, "test.rescan", object_type="ticket", object_id=str(ticket_id))
