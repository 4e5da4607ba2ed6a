"""``reviewer create``: bootstrap a platform's first experts, verified by the operator."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from accounts.users import AccountError, create_user, find_by_email
from matching.tags import TagError, parse_tags
from matching.verification import VerificationError, create_verified_reviewer
from models.audit import record_audit
from models.db import session_scope
from models.users import Role

reviewer_group = AppGroup("reviewer", help="Manage reviewers.")


@reviewer_group.command("create")
@click.argument("email")
@click.option("--tags", required=True, help="Comma-separated expertise tags, e.g. security,python")
@click.option("--capacity", default=3, show_default=True, help="Most open reviews at once.")
@click.option("--name", default="", help="Display name (new accounts).")
def create_reviewer_command(email: str, tags: str, capacity: int, name: str) -> None:
    """Create (or promote) a reviewer already verified for TAGS, recorded as an admin decision."""
    try:
        parsed = parse_tags(tags)
    except TagError as exc:
        raise click.ClickException(str(exc)) from exc
    with session_scope() as session:
        user = find_by_email(session, email)
        try:
            if user is None:
                user = create_user(session, email, name=name, roles=[Role.REVIEWER.value])
            profile = create_verified_reviewer(
                session, user, parsed, capacity=capacity, actor_label="cli"
            )
        except (AccountError, VerificationError) as exc:
            raise click.ClickException(str(exc)) from exc
        record_audit(
            session,
            "verification.admin",
            actor_label="cli",
            object_type="reviewer",
            object_id=profile.id,
            user_id=user.id,
            tags=parsed,
            capacity=capacity,
        )
        click.echo(
            f"Reviewer {user.email} (profile {profile.handle}) verified for "
            f"{', '.join(profile.verified_tags)}; capacity {profile.capacity}"
        )


commands = [reviewer_group]
