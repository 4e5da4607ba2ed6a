"""A PR ticket's life on the forge side: created on a trigger, followed on the PR.

Functions here change the database (in the caller's transaction) and enqueue forge calls as
outbox jobs with de-duplication keys, so every PR comment is posted exactly once however
often a delivery or event is processed.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.users import create_user, find_by_email
from bot.target import Target
from jobs.outbox import enqueue
from models.audit import AuditEvent
from models.forges import Installation
from models.tickets import Submission, TicketStatus
from models.users import User
from reviews.state import Actor, can_transition, create_ticket, transition

CLOSED = (TicketStatus.COMPLETED.value, TicketStatus.REJECTED.value, TicketStatus.CANCELLED.value)
BEFORE_REVIEW = (
    TicketStatus.SUBMITTED,
    TicketStatus.SCANNING,
    TicketStatus.MATCHING,
    TicketStatus.OFFERED,
    TicketStatus.UNMATCHED,
)
NO_REVIEWERS = "No reviewers are available at the moment. Please try again later."
FETCH_FAILED = "Unable to fetch the repository at this time. Please try again later."
RESCAN_JOB = "intake.jobs.process_submission"  # intake's pipeline: fetch, scan, match


def forge_user(session: Session, forge: str, login: str) -> User:
    """The Vetted account of a forge user, created on first contact (no password: they sign
    in through the forge or reset it), so tickets have an owner who can rate them."""
    column = User.github_login if forge == "github" else User.gitlab_username
    user = session.scalar(select(User).where(func.lower(column) == login.lower()))
    if user is not None:
        return user
    domain = "users.noreply.github.com" if forge == "github" else "users.noreply.gitlab.com"
    email = f"{login.lower()}@{domain}"
    user = find_by_email(session, email) or create_user(session, email, name=login)
    if forge == "github":
        user.github_login = login
    else:
        user.gitlab_username = login
    session.flush()
    return user


def login_of(user: User | None, forge: str) -> str | None:
    if user is None:
        return None
    return user.github_login if forge == "github" else user.gitlab_username


def installation_row(session: Session, target: Target) -> Installation | None:
    external = target.installation if target.forge == "github" else target.project_id
    if external is None:
        return None
    row = session.scalar(
        select(Installation).where(
            Installation.forge == target.forge, Installation.external_id == external
        )
    )
    if row is None and target.forge == "github":
        row = Installation(
            forge="github", external_id=external, account_login=target.repo.split("/")[0]
        )
        session.add(row)
        session.flush()
    return row


def pr_tickets(session: Session, target: Target) -> list[Submission]:
    return list(
        session.scalars(
            select(Submission)
            .where(
                Submission.forge == target.forge,
                Submission.repo_full_name == target.repo,
                Submission.pr_number == target.number,
            )
            .order_by(Submission.id.desc())
        )
    )


def open_ticket(session: Session, target: Target) -> Submission | None:
    return next((t for t in pr_tickets(session, target) if t.status not in CLOSED), None)


def latest_ticket(session: Session, target: Target) -> Submission | None:
    found = pr_tickets(session, target)
    return found[0] if found else None


def lock_pull_request(session: Session, target: Target) -> None:
    """Serialise what happens to one PR's tickets until the caller's transaction ends.

    Two triggers for one PR (a label and a ``/review`` comment, or two labels) arrive as two
    deliveries that two workers may process at once: both would find no open ticket and open
    one each. A transaction-scoped advisory lock makes the second wait, then find the first's.
    SQLite (development) has no such lock; its single writer makes the race unlikely there.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    key = f"vetted:pull-request:{target.forge}:{target.repo}:{target.number}"
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def start_review(
    session: Session,
    target: Target,
    *,
    requester: User,
    review_types: list[str],
    text: str,
    head_sha: str,
) -> tuple[Submission, bool]:
    """Create the PR's ticket, or return the open one (a second trigger changes nothing)."""
    lock_pull_request(session, target)
    existing = open_ticket(session, target)
    if existing is not None:
        return existing, False
    installation = installation_row(session, target)
    ticket = Submission(
        owner_id=requester.id,
        source=target.source,
        review_types=review_types,
        description=text or None,
        forge=target.forge,
        installation_id=installation.id if installation is not None else None,
        repo_full_name=target.repo,
        forge_project_id=target.project_id,
        pr_number=target.number,
        head_sha=head_sha,
        repo_ref=head_sha,
    )
    label = f"{target.forge}:{login_of(requester, target.forge)}"
    create_ticket(session, ticket, actor=Actor(user_id=requester.id, label=label))
    return ticket, True


def withdraw_offers(session: Session, ticket: Submission, reason: str) -> None:
    """The ticket's open offer is withdrawn and the reviewer's reserved slot given back."""
    from matching.offers import withdraw_offers_for_ticket

    withdraw_offers_for_ticket(session, ticket.id, reason)


def cancel_before_review(session: Session, ticket: Submission, reason: str, actor: Actor) -> bool:
    """Cancel a ticket whose review has not started (and withdraw its open offer)."""
    if TicketStatus(ticket.status) not in BEFORE_REVIEW:
        return False
    withdraw_offers(session, ticket, reason)
    transition(session, ticket, TicketStatus.CANCELLED, actor=actor, reason=reason)
    return True


def new_commits(session: Session, ticket: Submission, head_sha: str) -> bool:
    """New commits on the PR: record the head SHA and rescan when the code was already taken."""
    if ticket.head_sha == head_sha or ticket.status in CLOSED:
        return False
    ticket.head_sha = ticket.repo_ref = head_sha
    if ticket.status != TicketStatus.SUBMITTED.value and can_transition(
        ticket, TicketStatus.SCANNING
    ):
        withdraw_offers(session, ticket, "new commits: the code is being scanned again")
        transition(session, ticket, TicketStatus.SCANNING, reason="New commits were pushed.")
        enqueue(
            session,
            RESCAN_JOB,
            key=f"rescan:{ticket.id}:{head_sha}",
            ticket_id=ticket.id,
        )
    enqueue(session, "bot.jobs.sync_check", ticket_id=ticket.id)
    return True


def occurrence(session: Session, ticket: Submission, event: str) -> int:
    """How many times the ticket has entered this status: part of a comment's dedup key."""
    return (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.object_id == ticket.ticket_id, AuditEvent.action == event)
        )
        or 0
    )


def say(session: Session, target: Target, body: str, key: str) -> None:
    """Post ``body`` on the PR once (the key makes a second request a no-op)."""
    enqueue(
        session,
        "bot.jobs.post_comment",
        key=f"pr-comment:{key}",
        target=target.to_json(),
        body=body,
    )
