"""``db upgrade`` / ``db downgrade``: Alembic migrations against DATABASE_URL."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from models.migrate import create_database, downgrade, upgrade

db_group = AppGroup("db", help="Database migrations.")


@db_group.command("create")
def create_command() -> None:
    """Create the PostgreSQL database named by DATABASE_URL if it does not exist."""
    created = create_database(current_app.config["SETTINGS"].database_url)
    click.echo("Database created." if created else "Database already exists.")


@db_group.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    upgrade(current_app.config["SETTINGS"].database_url, revision)
    click.echo(f"Database at {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Migrate the database down to REVISION (e.g. base)."""
    downgrade(current_app.config["SETTINGS"].database_url, revision)
    click.echo(f"Database at {revision}.")


commands = [db_group]
