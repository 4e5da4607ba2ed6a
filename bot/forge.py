"""Opening a pull/merge request handle for a target, and what the check shows per status."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.github_pr import GitHubPR
from bot.gitlab_mr import GitLabMR
from bot.target import Target
from forges.errors import ForgeError, RateLimited, Unauthorized
from forges.github_api import GitHub
from forges.github_app import InstallationGone, app_credentials
from forges.gitlab_api import gitlab_client
from jobs.errors import PermanentJobError, RetryLater
from models.forges import Installation
from models.tickets import Submission, TicketStatus
from settings import Settings

log = logging.getLogger(__name__)

PullRequest = GitHubPR | GitLabMR


class ForgeGone(Exception):  # noqa: N818 - names the situation, not an error of ours
    """The App/integration no longer reaches the repository; the work is dropped."""


def gitlab_token(session: Session, settings: Settings, project_id: int | None) -> str:
    row = session.scalar(
        select(Installation).where(
            Installation.forge == "gitlab",
            Installation.external_id == (project_id or 0),
            Installation.removed_at.is_(None),
        )
    )
    token = (row.access_token if row is not None else None) or settings.gitlab_token
    if not token:
        raise PermanentJobError("GITLAB_TOKEN is not set: Vetted cannot call GitLab")
    return token


def open_pr(session: Session, settings: Settings, target: Target) -> PullRequest:
    if target.forge == "gitlab":
        gl = gitlab_client(settings, gitlab_token(session, settings, target.project_id))
        return GitLabMR(gl, int(target.project_id or 0), target.number)
    if target.installation is None:
        raise PermanentJobError(f"{target.repo}#{target.number}: no GitHub App installation")
    gh = GitHub(settings, app_credentials(session, settings), target.installation)
    return GitHubPR(gh, target.repo, target.number)


@contextlib.contextmanager
def forge_call(what: str) -> Iterator[None]:
    """Turn forge failures into what the job runner understands."""
    try:
        yield
    except RateLimited as exc:
        raise RetryLater(f"{what}: rate limited", delay=max(1.0, exc.seconds)) from exc
    except InstallationGone as exc:
        raise ForgeGone(f"{what}: {exc.message}") from exc
    except Unauthorized as exc:  # a revoked token: wait for the operator to fix it
        raise RetryLater(f"{what}: credentials refused ({exc.message})", delay=600) from exc
    except ForgeError as exc:
        raise PermanentJobError(f"{what}: {exc}") from exc


def check_fields(forge: str, ticket: Submission, link: str) -> dict[str, Any]:
    """The check run (GitHub) or commit status (GitLab) that shows the ticket's status."""
    status = TicketStatus(ticket.status)
    label = f"{ticket.ticket_id}: {status.value.replace('_', ' ')}"
    if forge == "gitlab":
        state = {
            TicketStatus.IN_REVIEW: "running",
            TicketStatus.COMPLETED: "success",
            TicketStatus.REJECTED: "failed",
            TicketStatus.CANCELLED: "canceled",
        }.get(status, "pending")
        return {"state": state, "description": label[:255], "target_url": link}
    fields: dict[str, Any] = {
        "details_url": link,
        "external_id": ticket.ticket_id,
        "output": {"title": label, "summary": ticket.status_reason or label},
    }
    if status == TicketStatus.IN_REVIEW:
        fields["status"] = "in_progress"
    elif status in (TicketStatus.COMPLETED, TicketStatus.REJECTED, TicketStatus.CANCELLED):
        fields["status"] = "completed"
        fields["conclusion"] = {
            TicketStatus.COMPLETED: "success",
            TicketStatus.REJECTED: "failure",
            TicketStatus.CANCELLED: "cancelled",
        }[status]
    else:
        fields["status"] = "queued"
    return fields
