"""From a labelled GitHub PR to a completed, rated review, against the GitHub stand-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models.base import utcnow
from models.forges import ForgeCheck, WebhookDelivery
from models.reviews import Feedback, Rating, ReviewComment
from models.tickets import Submission, TicketStatus
from tests.support.factories import make_reviewer
from tests.support.forge_flow import (
    accept_as,
    deliver_github,
    fetch_like_intake,
    forge_only_pipeline,  # noqa: F401
    github_event,
    run_jobs,
)
from tests.support.forge_payloads import GITHUB_SECRET
from tests.support.forge_standins import github_standin  # noqa: F401
from tests.support.jobs import runs

REPO = "Codertocat/Hello-World"
SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
PR = 2

pytestmark = pytest.mark.usefixtures("forge_only_pipeline")


@pytest.fixture
def standin(github_standin):  # noqa: F811
    github_standin.installations.add(1)
    github_standin.add_repo(
        REPO,
        186853002,
        files={"app.py": "print('hello')\n"},
        collaborators={"Codertocat": "admin", "maintainer": "write", "visitor": "read"},
        pulls={PR: SHA},
    )
    return github_standin


@pytest.fixture
def app_config(app_config, standin):
    app_config.update(
        github_api_url=standin.url,
        github_app_id=str(standin.app_id),
        github_private_key=standin.private_key_pem,
        github_webhook_secret=GITHUB_SECRET,
        base_url="https://vetted.example",
    )
    return app_config


def _label(client, name="vetted:security"):
    payload = github_event("pull_request/labeled.payload.json", **{"label.name": name})
    return deliver_github(client, "pull_request", payload)


def _ticket(session) -> Submission:
    session.expire_all()
    return session.scalar(select(Submission).order_by(Submission.id.desc()))


def _accepted(client, session, settings, email: str, login: str, **fields):  # type: ignore[no-untyped-def]
    """A labelled PR's ticket, accepted by a new reviewer with that GitHub login."""
    _label(client)
    run_jobs(settings)
    ticket = _ticket(session)
    reviewer = make_reviewer(session, email)
    reviewer.github_login = login
    for name, value in fields.items():
        setattr(reviewer, name, value)
    accept_as(session, ticket, reviewer)
    return ticket, reviewer


def _comment(client, login: str, body: str, comment_id: int = 501):
    payload = github_event(
        "issue_comment/created.with-installation.payload.json",
        **{
            "issue.number": PR,
            "issue.pull_request": {"url": f"https://api.github.com/repos/{REPO}/pulls/{PR}"},
            "comment.id": comment_id,
            "comment.body": body,
            "comment.user.login": login,
            "sender.login": login,
        },
    )
    return deliver_github(client, "issue_comment", payload)


def test_a_labelled_pr_becomes_a_completed_rated_review(
    client, session, settings, standin, tmp_path
):
    _label(client)
    run_jobs(settings)
    ticket = _ticket(session)
    assert (ticket.source, ticket.forge, ticket.repo_full_name) == ("github_pr", "github", REPO)
    assert (ticket.pr_number, ticket.head_sha, ticket.review_types) == (PR, SHA, ["security"])
    assert ticket.owner.github_login == "Codertocat"
    [requested] = standin.comment_bodies(PR)
    assert (
        ticket.ticket_id in requested
        and f"https://vetted.example/tickets/{ticket.ticket_id}" in requested
    )
    [run] = standin.check_runs.values()
    assert (run["name"], run["head_sha"], run["status"]) == ("Vetted audit", SHA, "queued")

    # intake fetches the code at the head SHA with the installation token
    names = fetch_like_intake(
        ticket, standin.url, f"/repos/{REPO}/tarball/{SHA}", tmp_path / "a.tgz"
    )
    assert names == ["app.py"]

    reviewer = make_reviewer(session, "rev@example.com")
    reviewer.github_login = "maintainer"  # a collaborator: can be requested directly
    accept_as(session, ticket, reviewer)
    run_jobs(settings)
    assert standin.review_requests == [{"number": PR, "reviewers": ["maintainer"]}]
    assert "Review started** by @maintainer" in standin.comment_bodies(PR)[-1]
    assert run["status"] == "in_progress"

    comment = github_event(
        "pull_request_review_comment/created.payload.json",
        **{
            "pull_request.number": PR,
            "comment.user.login": "maintainer",
            "comment.body": "SQL injection here",
        },
    )
    deliver_github(client, "pull_request_review_comment", comment)
    review = github_event(
        "pull_request_review/submitted.payload.json",
        **{
            "pull_request.number": PR,
            "review.user.login": "maintainer",
            "review.state": "changes_requested",
            "review.body": (
                "Solid overall.\n\n## Security\nParameterise the query.\n\n"
                "## Performance\nCache it."
            ),
        },
    )
    deliver_github(client, "pull_request_review", review)
    run_jobs(settings)
    ticket = _ticket(session)
    assert ticket.status == TicketStatus.COMPLETED
    feedback = session.scalar(select(Feedback).where(Feedback.submission_id == ticket.id))
    assert (feedback.overall, feedback.security, feedback.performance) == (
        "Solid overall.",
        "Parameterise the query.",
        "Cache it.",
    )
    assert feedback.verdict == "changes_required"
    mirrored = session.scalar(select(ReviewComment).where(ReviewComment.origin == "github"))
    assert mirrored.body == "SQL injection here" and mirrored.author_id == reviewer.id
    assert mirrored.file_path == comment["comment"]["path"]
    assert (run["status"], run["conclusion"]) == ("completed", "success")
    assert "Vetted audit completed" in standin.comment_bodies(PR)[-1]
    assert "Parameterise the query." in standin.comment_bodies(PR)[-1]

    _comment(client, "Codertocat", "/rate 5 Very thorough", comment_id=777)
    run_jobs(settings)
    rating = session.scalar(select(Rating).where(Rating.submission_id == ticket.id))
    assert (rating.score, rating.comment, rating.origin) == (5, "Very thorough", "github")
    assert "your rating (5/5) was recorded" in standin.comment_bodies(PR)[-1]
    # every comment exactly once, and the check was created once
    bodies = standin.comment_bodies(PR)
    assert len(bodies) == len(set(bodies)) == 4
    assert session.query(ForgeCheck).count() == 1


def test_redelivering_everything_three_times_changes_nothing(client, session, settings, standin):
    payload = github_event("pull_request/labeled.payload.json", **{"label.name": "vetted"})
    for _ in range(3):
        deliver_github(client, "pull_request", payload, delivery="same-delivery")
        run_jobs(settings)
    _label(client, "vetted:performance")  # a second trigger on the same PR: same ticket
    run_jobs(settings)
    assert session.query(Submission).count() == 1
    assert len(standin.comment_bodies(PR)) == 1
    assert _ticket(session).review_types == ["security", "performance", "best-practices"]


def test_review_by_a_user_without_write_access_is_politely_refused(
    client, session, settings, standin
):
    _comment(client, "visitor", "/review security please")
    run_jobs(settings)
    assert session.query(Submission).count() == 0
    assert "only people with write access" in standin.comment_bodies(PR)[0]
    _comment(client, "maintainer", "/review performance check the loop", comment_id=502)
    run_jobs(settings)
    ticket = _ticket(session)
    assert ticket.review_types == ["performance"] and ticket.description == "check the loop"
    assert ticket.head_sha == SHA  # read from the PR, since comments do not carry it


def test_status_help_and_unknown_commands_answer_on_the_pr(client, settings, standin):
    _comment(client, "visitor", "/status", comment_id=601)
    _comment(client, "visitor", "/frobnicate", comment_id=602)
    run_jobs(settings)
    status, unknown = standin.comment_bodies(PR)
    assert "no Vetted audit" in status
    assert "Unknown command `/frobnicate`" in unknown and "/rate 1-5" in unknown


def test_a_pr_closed_before_review_cancels_the_ticket_and_withdraws_the_offer(
    client, session, settings, standin
):
    from models.offers import Offer, OfferStatus
    from reviews.state import transition

    _label(client)
    run_jobs(settings)
    ticket = _ticket(session)
    for status in ("scanning", "matching", "offered"):
        transition(session, ticket, status)
    reviewer = make_reviewer(session, "rev2@example.com")
    from datetime import timedelta

    from models.base import utcnow

    session.add(
        Offer(
            submission_id=ticket.id,
            reviewer_id=reviewer.id,
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    session.commit()
    closed = github_event("pull_request/closed.payload.json", **{"pull_request.number": PR})
    deliver_github(client, "pull_request", closed)
    run_jobs(settings)
    ticket = _ticket(session)
    assert ticket.status == TicketStatus.CANCELLED
    assert session.scalar(select(Offer.status)) == OfferStatus.WITHDRAWN
    assert "was cancelled: The pull request was closed" in standin.comment_bodies(PR)[-1]
    assert list(standin.check_runs.values())[0]["conclusion"] == "cancelled"


def test_new_commits_update_the_head_sha_and_rescan(client, session, settings, standin):
    _label(client)
    run_jobs(settings)
    ticket = _ticket(session)
    from reviews.state import transition

    transition(session, ticket, "scanning")
    transition(session, ticket, "matching")
    session.commit()
    pushed = github_event(
        "pull_request/synchronize.payload.json",
        **{"pull_request.number": PR, "pull_request.head.sha": "f" * 40},
    )
    deliver_github(client, "pull_request", pushed)
    run_jobs(settings)
    ticket = _ticket(session)
    assert (ticket.head_sha, ticket.status) == ("f" * 40, TicketStatus.SCANNING)
    assert runs(session, str(ticket.id)) == 1  # intake's pipeline was asked to fetch again
    assert [r["head_sha"] for r in standin.check_runs.values()] == [SHA, "f" * 40]


def test_a_reviewer_who_is_not_a_collaborator_works_in_vetted_and_their_comments_are_posted(
    client, session, settings, standin
):
    from models.reviews import ReviewComment

    ticket, reviewer = _accepted(
        client, session, settings, "outside@example.com", "outsider", name="Ada Outside"
    )
    run_jobs(settings)
    assert standin.review_requests == []  # 422: not a collaborator; inviting was refused (403)
    assert "their comments will be posted here by Vetted" in standin.comment_bodies(PR)[-1]
    session.add(
        ReviewComment(
            submission_id=ticket.id,
            author_id=reviewer.id,
            file_path="app.py",
            line_start=1,
            line_end=1,
            body="Use logging, not print.",
            origin="web",
        )
    )
    session.commit()
    from bot.jobs import publish_web_comments

    publish_web_comments(ticket.id)
    publish_web_comments(ticket.id)  # nothing left to post the second time
    [review] = standin.reviews
    assert review["commit_id"] == SHA and review["event"] == "COMMENT"
    assert review["comments"][0]["path"] == "app.py" and "Ada Outside" in review["body"]


def test_invites_the_reviewer_with_read_access_when_the_app_may(client, session, settings, standin):
    standin.may_invite = True
    ticket, reviewer = _accepted(client, session, settings, "guest@example.com", "guest")
    run_jobs(settings)
    assert standin.invitations == [{"login": "guest", "permission": "pull"}]
    assert standin.review_requests == [{"number": PR, "reviewers": ["guest"]}]


def test_unmatched_tickets_tell_the_developer_to_try_later(client, session, settings, standin):
    from reviews.state import transition

    _label(client)
    run_jobs(settings)
    ticket = _ticket(session)
    for status in ("scanning", "matching", "unmatched"):
        transition(session, ticket, status)
    session.commit()
    run_jobs(settings)
    assert standin.comment_bodies(PR)[-1] == (
        "No reviewers are available at the moment. Please try again later."
    )


def test_a_502_then_success_and_a_rate_limit_delay_the_comment_but_lose_nothing(
    client, session, settings, standin
):
    from models.outbox import Outbox

    standin.fail(502, times=1, path_contains="/comments")
    standin.fail(429, times=1, retry_after=3600, path_contains="/check-runs")
    _label(client)
    run_jobs(settings)
    assert len(standin.comment_bodies(PR)) == 1  # 502 retried inside the call
    waiting = session.scalar(select(Outbox).where(Outbox.job == "bot.jobs.sync_check"))
    session.refresh(waiting)
    assert waiting.status == "pending"
    assert waiting.run_after > utcnow() + timedelta(minutes=50)  # GitHub asked for an hour
    assert standin.check_runs == {}  # not hammered: one attempt, then rescheduled
    assert len(standin.calls("POST", "/check-runs")) == 1
    waiting.run_after = utcnow()  # the hour has passed
    session.commit()
    run_jobs(settings)
    [run] = standin.check_runs.values()
    assert run["status"] == "queued"


def test_installation_removed_mid_review_keeps_the_review_going_in_vetted(
    client, session, settings, standin
):
    ticket, reviewer = _accepted(client, session, settings, "rev3@example.com", "maintainer")
    run_jobs(settings)
    standin.remove_installation(1)
    removed = github_event("installation/deleted.payload.json")
    deliver_github(client, "installation", removed)
    run_jobs(settings)
    ticket = _ticket(session)
    assert ticket.status == TicketStatus.IN_REVIEW  # the reviewer carries on in Vetted
    from reviews.completion import complete_review
    from reviews.state import Actor

    complete_review(
        session, ticket, actor=Actor(user_id=reviewer.id), overall="Fine.", origin="github"
    )
    session.commit()
    run_jobs(settings)  # the completion comment cannot be posted: dropped, not retried forever
    assert _ticket(session).status == TicketStatus.COMPLETED
    assert (
        session.scalar(
            select(WebhookDelivery.status).where(WebhookDelivery.event == "installation")
        )
        == "processed"
    )


def test_completing_in_vetted_posts_the_viewer_comments_and_the_summary(
    client, session, settings, standin
):
    from models.reviews import ReviewComment
    from reviews.completion import complete_review
    from reviews.state import Actor

    ticket, reviewer = _accepted(client, session, settings, "web@example.com", "maintainer")
    session.add(
        ReviewComment(
            submission_id=ticket.id,
            author_id=reviewer.id,
            file_path="app.py",
            line_start=1,
            line_end=1,
            body="Prefer logging.",
            origin="web",
        )
    )
    complete_review(
        session,
        ticket,
        actor=Actor(user_id=reviewer.id),
        overall="Good.",
        security="None found.",
        performance="Fine.",
        best_practices="Use logging.",
        verdict="approved",
    )
    session.commit()
    run_jobs(settings)
    [review] = standin.reviews
    assert review["comments"][0]["body"].endswith("Prefer logging.")
    assert "None found." in standin.comment_bodies(PR)[-1]


def test_the_receiver_answers_without_calling_github_even_when_github_is_down(
    client, session, settings, standin
):
    standin.fail(502, times=1000)
    response = _label(client)
    assert response.status_code == 202
    assert standin.log == []  # nothing called during the request
    standin.faults.clear()
    run_jobs(settings)
    assert len(standin.comment_bodies(PR)) == 1


def test_rejections_and_fetch_failures_are_explained_on_the_pr(client, session, settings, standin):
    from reviews.state import transition

    _label(client)
    run_jobs(settings)
    ticket = _ticket(session)
    transition(session, ticket, "scanning")
    ticket.error_code = "fetch_failed"
    transition(session, ticket, "submitted", reason="fetch failed")
    session.commit()
    run_jobs(settings)
    assert standin.comment_bodies(PR)[-1].startswith(
        "Unable to fetch the repository at this time. Please try again later."
    )
    transition(session, ticket, "scanning")
    transition(session, ticket, "rejected", reason="The scanner found malware (Eicar-Test).")
    session.commit()
    run_jobs(settings)
    assert "malware (Eicar-Test)" in standin.comment_bodies(PR)[-1]
    assert list(standin.check_runs.values())[0]["conclusion"] == "failure"
