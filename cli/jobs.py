"""``jobs drain`` and ``jobs status``: look at and push the outbox by hand."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from jobs.dispatch import drain
from models.db import session_scope
from models.outbox import Outbox

jobs_group = AppGroup("jobs", help="The job pipeline.")


@jobs_group.command("status")
def status_command() -> None:
    """Count outbox rows by status."""
    with session_scope() as session:
        rows = session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
    for status, count in sorted(rows):
        click.echo(f"{status:10} {count}")


@jobs_group.command("drain")
def drain_command() -> None:
    """Run every due job now, in this process."""
    click.echo(f"Ran {drain(current_app.config['SETTINGS'])} job(s).")


commands = [jobs_group]
