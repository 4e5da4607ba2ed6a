"""Mirroring PR comments into Vetted: keyed by forge id, edits update, deletes remove."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.mirror import summary_sections
from models.reviews import ReviewComment
from models.tickets import Submission
from tests.support.factories import make_reviewer
from tests.support.forge_flow import (
    accept_as,
    deliver_github,
    forge_only_pipeline,  # noqa: F401
    github_event,
    run_jobs,
)
from tests.support.forge_standins import github_standin  # noqa: F401
from tests.test_bot_flow_github import PR, _comment, _label, app_config, standin  # noqa: F401

pytestmark = pytest.mark.usefixtures("forge_only_pipeline")


@pytest.fixture
def reviewing(client, session, settings, standin):  # noqa: F811
    _label(client)
    run_jobs(settings)
    ticket = session.scalar(select(Submission))
    reviewer = make_reviewer(session, "rev@example.com")
    reviewer.github_login = "maintainer"
    accept_as(session, ticket, reviewer)
    run_jobs(settings)
    return ticket


def _review_comment(action: str, body: str, comment_id: int = 4242, **extra):
    return github_event(
        f"pull_request_review_comment/{action}.payload.json",
        **{
            "pull_request.number": PR,
            "comment.id": comment_id,
            "comment.user.login": "maintainer",
            "comment.user.type": "User",
            "comment.body": body,
            **extra,
        },
    )


def _mirrored(session):
    session.expire_all()
    return list(session.scalars(select(ReviewComment).order_by(ReviewComment.id)))


def test_created_edited_redelivered_and_deleted_review_comments(
    client, session, settings, reviewing
):
    deliver_github(client, "pull_request_review_comment", _review_comment("created", "First"))
    deliver_github(client, "pull_request_review_comment", _review_comment("created", "First"))
    run_jobs(settings)
    [row] = _mirrored(session)
    assert (row.origin, row.external_id, row.body) == ("github", "review-comment:4242", "First")
    deliver_github(client, "pull_request_review_comment", _review_comment("edited", "Edited"))
    run_jobs(settings)
    [row] = _mirrored(session)
    assert row.body == "Edited"
    deliver_github(client, "pull_request_review_comment", _review_comment("deleted", "Edited"))
    run_jobs(settings)
    assert _mirrored(session) == []


def test_a_reply_is_threaded_under_the_comment_it_answers(client, session, settings, reviewing):
    deliver_github(client, "pull_request_review_comment", _review_comment("created", "Why?"))
    reply = _review_comment(
        "created",
        "Because.",
        comment_id=4243,
        **{"comment.in_reply_to_id": 4242, "comment.user.login": "Codertocat"},
    )
    deliver_github(client, "pull_request_review_comment", reply)
    run_jobs(settings)
    parent, child = _mirrored(session)
    assert child.parent_id == parent.id and child.author_id == reviewing.owner_id


def test_only_the_reviewers_pr_comments_are_mirrored_and_bots_never(
    client, session, settings, reviewing
):
    _comment(client, "visitor", "drive-by remark", comment_id=9101)
    _comment(client, "maintainer", "General note from the reviewer", comment_id=9102)
    bot = _review_comment("created", "echo", comment_id=4300, **{"comment.user.type": "Bot"})
    deliver_github(client, "pull_request_review_comment", bot)
    run_jobs(settings)
    [row] = _mirrored(session)
    assert (row.external_id, row.body) == ("issue-comment:9102", "General note from the reviewer")


def test_a_dismissed_review_changes_nothing(client, session, settings, reviewing):
    dismissed = github_event(
        "pull_request_review/dismissed.payload.json",
        **{"pull_request.number": PR, "review.user.login": "maintainer"},
    )
    deliver_github(client, "pull_request_review", dismissed)
    run_jobs(settings)
    session.expire_all()
    assert session.get(Submission, reviewing.id).status == "in_review"


def test_summary_sections_are_recognised_in_a_review_body():
    body = (
        "Overall solid.\n\n**Security vulnerabilities**\nEscape output.\n\n"
        "### Performance optimizations:\nBatch the writes.\n\n## Best practices\nAdd tests."
    )
    assert summary_sections(body) == {
        "overall": "Overall solid.",
        "security": "Escape output.",
        "performance": "Batch the writes.",
        "best_practices": "Add tests.",
    }
    assert summary_sections("Just a plain review.") == {"overall": "Just a plain review."}


def test_a_single_inline_comment_does_not_complete_the_review(client, session, settings, reviewing):
    bare = github_event(
        "pull_request_review/submitted.payload.json",
        **{"pull_request.number": PR, "review.user.login": "maintainer", "review.body": None},
    )
    deliver_github(client, "pull_request_review", bare)
    run_jobs(settings)
    session.expire_all()
    assert session.get(Submission, reviewing.id).status == "in_review"
    approved = github_event(
        "pull_request_review/submitted.payload.json",
        **{
            "pull_request.number": PR,
            "review.id": 99,
            "review.user.login": "maintainer",
            "review.state": "approved",
            "review.body": None,
        },
    )
    deliver_github(client, "pull_request_review", approved)
    run_jobs(settings)
    session.expire_all()
    assert session.get(Submission, reviewing.id).status == "completed"
