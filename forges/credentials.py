"""Which token reaches a ticket's repository: the App installation's, or the GitLab one."""

from __future__ import annotations

import logging

from forges.github_app import (
    AppNotConfigured,
    InstallationGone,
    app_credentials,
    installation_token,
)
from models.db import session_scope
from models.forges import Installation
from models.tickets import SourceKind, Submission
from settings import current_settings

log = logging.getLogger(__name__)


def access_token_for(ticket: Submission) -> str | None:
    """A token that can read the PR's repository, or None for other tickets.

    GitHub: an installation access token (cached, refreshed when near expiry). GitLab: the
    integration's own token when it has one, else ``GITLAB_TOKEN``. None as well when the App
    was removed from (or suspended on) the repository: the fetch then fails as for any
    repository Vetted cannot read.
    """
    settings = current_settings()
    if ticket.source not in (SourceKind.GITHUB_PR, SourceKind.GITLAB_MR):
        return None
    with session_scope() as session:
        installation = (
            session.get(Installation, ticket.installation_id) if ticket.installation_id else None
        )
        if ticket.source == SourceKind.GITLAB_MR:
            own = installation.access_token if installation is not None else None
            return own or settings.gitlab_token or None
        if installation is None:
            return None
        try:
            credentials = app_credentials(session, settings)
        except AppNotConfigured:
            log.warning("no GitHub App configured: %s is fetched without a token", ticket.ticket_id)
            return None
        external_id = installation.external_id
    try:
        return installation_token(settings, credentials, external_id)
    except InstallationGone as exc:  # removed or suspended: the repository is out of reach
        log.warning("%s: %s", ticket.ticket_id, exc.message)
        return None
