"""``keys generate`` and ``keys rotate``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from models.audit import record_audit
from models.crypto import generate_key, get_keyring
from models.db import session_scope
from models.rotation import rotate_everything

keys_group = AppGroup("keys", help="Manage encryption keys.")


@keys_group.command("generate")
@click.option("--kid", default="k1", show_default=True, help="Key id to prefix.")
def generate_command(kid: str) -> None:
    """Print a new key entry for ENCRYPTION_KEYS (put it first to make it current)."""
    click.echo(f"{kid}:{generate_key()}")


@keys_group.command("rotate")
def rotate_command() -> None:
    """Re-encrypt every stored value under the first key in ENCRYPTION_KEYS."""
    keyring = get_keyring()
    with session_scope() as session:
        changed = rotate_everything(session, keyring)
        total = sum(changed.values())
        record_audit(
            session,
            "keys.rotate",
            actor_label="cli",
            current_key=keyring.current.kid,
            changed=total,
        )
    for name, count in changed.items():
        if count:
            click.echo(f"{name}: {count}")
    click.echo(f"Re-encrypted {total} value(s) under key {keyring.current.kid}.")


commands = [keys_group]
