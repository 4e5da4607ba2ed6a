"""``demo seed``: a few verified demo reviewers, so a fresh install can match tickets."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from accounts.users import create_user, find_by_email
from matching.verification import create_verified_reviewer
from models.db import session_scope
from models.users import Role

demo_group = AppGroup("demo", help="Demo data.")

DEMO_REVIEWERS = [
    ("ada@demo.vetted.local", "Ada (security)", "security,python,django,flask", "Europe/London"),
    ("linus@demo.vetted.local", "Linus (performance)", "performance,c,go,rust", "Europe/Helsinki"),
    ("grace@demo.vetted.local", "Grace (JS)", "best-practices,security,javascript,react,node",
     "America/New_York"),
    ("kent@demo.vetted.local", "Kent (practices)", "best-practices,performance,python,java",
     "America/Los_Angeles"),
]  # fmt: skip
DEMO_PASSWORD = "demo reviewer password"  # noqa: S105 - demo accounts, printed on purpose


@demo_group.command("seed")
def seed_command() -> None:
    """Create the demo reviewers (idempotent: existing ones are left alone)."""
    created = 0
    with session_scope() as session:
        for email, name, tags, timezone in DEMO_REVIEWERS:
            if find_by_email(session, email) is not None:
                continue
            user = create_user(
                session, email, name=name, password=DEMO_PASSWORD, roles=[Role.REVIEWER.value]
            )
            profile = create_verified_reviewer(
                session, user, tags.split(","), capacity=3, actor_label="demo seed"
            )
            profile.timezone = timezone
            profile.bio = f"{name}: demo reviewer."
            created += 1
    click.echo(f"Created {created} demo reviewer(s); password for each: {DEMO_PASSWORD!r}")


commands = [demo_group]
