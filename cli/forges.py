"""``gitlab connect``: register a GitLab project or group hook with its own secret token."""

from __future__ import annotations

import secrets

import click
from flask.cli import AppGroup
from sqlalchemy import select

from models.audit import record_audit
from models.db import session_scope
from models.forges import Installation

gitlab_group = AppGroup("gitlab", help="Connect GitLab projects and groups.")


@gitlab_group.command("connect")
@click.argument("project_or_group_id", type=int)
@click.option("--group", "group_path", default=None, help="Group full path (for a group hook).")
@click.option("--path", "project_path", default="", help="Project path (for your reference).")
@click.option("--access-token", default=None, help="Project/group access token (api scope).")
def connect(
    project_or_group_id: int, group_path: str | None, project_path: str, access_token: str | None
) -> None:
    """Create (or renew) the hook token for a project or group; prints it once."""
    token = secrets.token_urlsafe(32)
    with session_scope() as session:
        row = session.scalar(
            select(Installation).where(
                Installation.forge == "gitlab", Installation.external_id == project_or_group_id
            )
        )
        if row is None:
            row = Installation(forge="gitlab", external_id=project_or_group_id, repositories=[])
            session.add(row)
        row.account_type = "group" if group_path else "project"
        row.account_login = group_path or project_path
        row.webhook_token = token
        row.removed_at = None
        if access_token:
            row.access_token = access_token
        session.flush()
        record_audit(
            session,
            "gitlab.connected",
            actor_label="cli",
            object_type="installation",
            object_id=str(row.id),
        )
    click.echo("Add a webhook in GitLab (Settings > Webhooks) with:")
    click.echo("  URL:          <BASE_URL>/webhooks/gitlab")
    click.echo(f"  Secret token: {token}")
    click.echo("  Triggers:     Merge request events, Comments")


commands = [gitlab_group]
