"""``user create`` and ``token create``/``token revoke``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from accounts.passwords import password_problem
from accounts.tokens import issue_token, revoke_token
from accounts.users import AccountError, create_user, find_by_email
from models.audit import record_audit
from models.db import session_scope
from models.users import ApiToken, Role

user_group = AppGroup("user", help="Manage user accounts.")
token_group = AppGroup("token", help="Manage personal API tokens.")


@user_group.command("create")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    default=[Role.DEVELOPER.value],
    show_default=True,
    help="Repeat for several roles.",
)
@click.option("--name", default="", help="Display name.")
@click.option("--password", default=None, help="Prompted for when omitted (leave empty for none).")
def create_user_command(
    email: str, roles: tuple[str, ...], name: str, password: str | None
) -> None:
    """Create a user with the given roles."""
    if password is None:
        password = click.prompt(
            "Password (empty: none)",
            default="",
            hide_input=True,
            confirmation_prompt=True,
            show_default=False,
        )
    if password and (problem := password_problem(password)):
        raise click.ClickException(problem)
    with session_scope() as session:
        try:
            user = create_user(
                session, email, password=password or None, name=name, roles=list(roles)
            )
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        record_audit(
            session,
            "user.create",
            actor_label="cli",
            object_type="user",
            object_id=user.id,
            roles=user.roles,
        )
        click.echo(f"Created user {user.email} (id {user.id}) with roles {', '.join(user.roles)}")


@token_group.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
@click.option("--read-only", is_flag=True, help="Token may only read.")
def create_token_command(email: str, name: str, read_only: bool) -> None:
    """Create a personal API token and print it once."""
    with session_scope() as session:
        user = find_by_email(session, email)
        if user is None:
            raise click.ClickException(f"No user with e-mail {email}")
        _, secret = issue_token(
            session,
            user,
            name=name,
            scopes=["read"] if read_only else ["read", "write"],
            by_operator=True,
        )
    click.echo(secret)
    click.echo("Store it now: it is not shown again.", err=True)


@token_group.command("revoke")
@click.argument("prefix")
def revoke_token_command(prefix: str) -> None:
    """Revoke every token starting with PREFIX (the first 8 characters shown on creation)."""
    with session_scope() as session:
        tokens = session.query(ApiToken).filter(ApiToken.prefix == prefix[:8]).all()
        for token in tokens:
            revoke_token(token)
        click.echo(f"Revoked {len(tokens)} token(s).")


commands = [user_group, token_group]
