"""From a labelled GitLab MR to a completed, rated review, against the GitLab stand-in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.base import utcnow
from models.outbox import Outbox
from models.reviews import Feedback, Rating, ReviewComment
from models.tickets import Submission, TicketStatus
from tests.support.factories import make_reviewer
from tests.support.forge_flow import (
    accept_as,
    deliver_gitlab,
    fetch_like_intake,
    forge_only_pipeline,  # noqa: F401
    gitlab_event,
    run_jobs,
)
from tests.support.forge_payloads import GITLAB_TOKEN
from tests.support.forge_standins import GITLAB_API_TOKEN, gitlab_standin  # noqa: F401

PROJECT = {"id": 1, "path_with_namespace": "gitlabhq/gitlab-test"}
SHA = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
IID = 1

pytestmark = pytest.mark.usefixtures("forge_only_pipeline")


@pytest.fixture
def standin(gitlab_standin):  # noqa: F811
    gitlab_standin.add_project(
        1, "gitlabhq/gitlab-test", files={"README.md": "# test\n"}, members={1: 40, 7: 10}
    )
    gitlab_standin.users = {"revgl": 42, "root": 1}
    return gitlab_standin


@pytest.fixture
def app_config(app_config, standin):
    app_config.update(
        gitlab_url=standin.url,
        gitlab_token=GITLAB_API_TOKEN,
        gitlab_webhook_token=GITLAB_TOKEN,
        base_url="https://vetted.example",
    )
    return app_config


def _open_mr(client, label="vetted:performance"):
    payload = gitlab_event("merge_request_events.payload.json", labels=[{"id": 1, "title": label}])
    return deliver_gitlab(client, "Merge Request Hook", payload)


def _note(client, username: str, user_id: int | None, body: str, note_id: int, **extra):
    payload = gitlab_event(
        "zulip__note_hook__merge_request_note.json",
        project=PROJECT,
        user={"id": user_id, "username": username, "name": username},
        **{
            "object_attributes.id": note_id,
            "object_attributes.note": body,
            "merge_request.iid": IID,
            "merge_request.last_commit": {"id": SHA},
        },
        **extra,
    )
    return deliver_gitlab(client, "Note Hook", payload)


def _ticket(session) -> Submission:
    session.expire_all()
    return session.scalar(select(Submission).order_by(Submission.id.desc()))


def test_a_labelled_mr_becomes_a_completed_rated_review(
    client, session, settings, standin, tmp_path
):
    _open_mr(client)
    run_jobs(settings)
    ticket = _ticket(session)
    assert (ticket.source, ticket.forge_project_id, ticket.pr_number) == ("gitlab_mr", 1, IID)
    assert (ticket.head_sha, ticket.review_types) == (SHA, ["performance"])
    assert ticket.owner.gitlab_username == "root"
    [requested] = standin.note_bodies(IID)
    assert ticket.ticket_id in requested
    assert [(s["sha"], s["state"], s["name"]) for s in standin.statuses] == [
        (SHA, "pending", "Vetted audit")
    ]
    archive = f"/api/v4/projects/1/repository/archive.tar.gz?sha={SHA}"
    assert fetch_like_intake(ticket, standin.url, archive, tmp_path / "mr.tgz") == ["README.md"]

    reviewer = make_reviewer(session, "revgl@example.com")
    reviewer.gitlab_username = "revgl"
    accept_as(session, ticket, reviewer)
    run_jobs(settings)
    assert standin.reviewer_updates == [{"iid": IID, "reviewer_ids": [42]}]
    assert "Review started** by @revgl" in standin.note_bodies(IID)[-1]
    assert standin.statuses[-1]["state"] == "running"

    diff_note = gitlab_event(
        "go-scm__review_comment_create.json",
        project=PROJECT,
        user={"id": 42, "username": "revgl", "name": "Rev"},
        **{"merge_request.iid": IID, "object_attributes.note": "Typo in the title"},
    )
    deliver_gitlab(client, "Note Hook", diff_note)
    deliver_gitlab(client, "Note Hook", diff_note)  # redelivered under another UUID
    diff_note["object_attributes"]["action"] = "update"
    diff_note["object_attributes"]["note"] = "Typo in the title (line 1)"
    deliver_gitlab(client, "Note Hook", diff_note)
    run_jobs(settings)
    [mirrored] = session.scalars(select(ReviewComment).where(ReviewComment.origin == "gitlab"))
    assert (mirrored.file_path, mirrored.line_start, mirrored.body) == (
        "README.md",
        1,
        "Typo in the title (line 1)",
    )

    summary = "Looks good.\n\n## Performance\nAvoid the N+1 query in the list view."
    _note(client, "revgl", 42, summary, note_id=9001)
    run_jobs(settings)
    ticket = _ticket(session)
    assert ticket.status == TicketStatus.COMPLETED
    feedback = session.scalar(select(Feedback).where(Feedback.submission_id == ticket.id))
    assert feedback.performance == "Avoid the N+1 query in the list view."
    assert standin.statuses[-1]["state"] == "success"
    assert "Vetted audit completed" in standin.note_bodies(IID)[-1]

    _note(client, "root", 1, "/rate 4 Helpful", note_id=9002)
    run_jobs(settings)
    rating = session.scalar(select(Rating).where(Rating.submission_id == ticket.id))
    assert (rating.score, rating.origin) == (4, "gitlab")
    bodies = standin.note_bodies(IID)
    assert len(bodies) == len(set(bodies)) == 4


def test_review_command_needs_developer_access(client, session, settings, standin):
    _note(client, "guest", 7, "/review security", note_id=8001)
    run_jobs(settings)
    assert session.query(Submission).count() == 0
    assert "only people with write access" in standin.note_bodies(IID)[0]
    _note(client, "root", 1, "/review security audit the login", note_id=8002)
    run_jobs(settings)
    ticket = _ticket(session)
    assert (ticket.review_types, ticket.description, ticket.head_sha) == (
        ["security"],
        "audit the login",
        SHA,
    )


def test_a_closed_mr_cancels_the_ticket_before_review(client, session, settings, standin):
    _open_mr(client, "vetted")
    run_jobs(settings)
    closed = gitlab_event(
        "merge_request_events.payload.json",
        **{"object_attributes.action": "close", "object_attributes.state": "closed"},
    )
    deliver_gitlab(client, "Merge Request Hook", closed)
    run_jobs(settings)
    assert _ticket(session).status == TicketStatus.CANCELLED
    assert standin.statuses[-1]["state"] == "canceled"


def test_a_502_then_success_and_a_revoked_token_lose_nothing(client, session, settings, standin):
    standin.fail(502, times=1, path_contains="/notes")
    _open_mr(client)
    run_jobs(settings)
    assert len(standin.note_bodies(IID)) == 1
    standin.revoke_tokens()  # the token was revoked: the comment waits, it is not lost
    _note(client, "root", 1, "/status", note_id=8100)
    run_jobs(settings)
    assert len(standin.note_bodies(IID)) == 1
    waiting = session.scalar(
        select(Outbox).where(Outbox.job == "bot.jobs.post_comment", Outbox.status == "pending")
    )
    assert waiting is not None and waiting.run_after > utcnow()
    standin.valid_tokens.add(GITLAB_API_TOKEN)  # the operator fixed it
    waiting.run_after = utcnow()
    session.commit()
    run_jobs(settings)
    assert standin.note_bodies(IID)[-1].startswith(f"Ticket `{_ticket(session).ticket_id}` is **")


def test_new_commits_on_the_mr_update_the_head_sha_and_rescan(client, session, settings, standin):
    from reviews.state import transition

    _open_mr(client)
    run_jobs(settings)
    ticket = _ticket(session)
    transition(session, ticket, "scanning")
    transition(session, ticket, "matching")
    session.commit()
    pushed = gitlab_event(
        "merge_request_events.payload.json",
        **{
            "object_attributes.action": "update",
            "object_attributes.oldrev": SHA,
            "object_attributes.last_commit": {"id": "b" * 40},
        },
        changes={},
    )
    deliver_gitlab(client, "Merge Request Hook", pushed)
    run_jobs(settings)
    ticket = _ticket(session)
    assert (ticket.head_sha, ticket.status) == ("b" * 40, TicketStatus.SCANNING)
    assert standin.statuses[-1]["sha"] == "b" * 40
