"""``ip block``, ``ip unblock`` and ``ip list``: block addresses and CIDR ranges from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from models.db import session_scope
from security.ipblocks import BlockError, active_blocks, block, unblock

ip_group = AppGroup("ip", help="Block and unblock IP addresses and ranges.")


@ip_group.command("block")
@click.argument("network")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@click.option("--minutes", type=click.IntRange(min=1), default=None, help="Default: until lifted.")
def block_command(network: str, reason: str, minutes: int | None) -> None:
    """Block NETWORK (an address or a CIDR range such as 203.0.113.0/24)."""
    with session_scope() as session:
        try:
            row = block(session, network, reason=reason, minutes=minutes, actor_label="cli")
        except BlockError as exc:
            raise click.ClickException(str(exc)) from exc
        until = row.expires_at.strftime("%Y-%m-%d %H:%M UTC") if row.expires_at else "lifted"
        click.echo(f"Blocked {row.network} until {until} (block {row.id}).")
    click.echo("Every web server applies it within a few seconds.", err=True)


@ip_group.command("unblock")
@click.argument("network")
def unblock_command(network: str) -> None:
    """Lift every active block on exactly NETWORK."""
    with session_scope() as session:
        try:
            count = unblock(session, network, actor_label="cli")
        except BlockError as exc:
            raise click.ClickException(str(exc)) from exc
    if not count:
        raise click.ClickException(f"No active block on {network}.")
    click.echo(f"Lifted {count} block(s) on {network}.")


@ip_group.command("list")
def list_command() -> None:
    """Show the active blocks."""
    with session_scope() as session:
        rows = active_blocks(session)
        if not rows:
            click.echo("No address is blocked.")
        for row in rows:
            until = row.expires_at.strftime("%Y-%m-%d %H:%M UTC") if row.expires_at else "never"
            kind = f"automatic, strike {row.strikes}" if row.automatic else "manual"
            click.echo(f"{row.network}\tuntil {until}\t{kind}\t{row.reason}")


commands = [ip_group]
