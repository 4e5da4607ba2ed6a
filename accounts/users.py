"""Creating and finding users; the rules every door applies the same way."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.passwords import hash_password, needs_rehash, verify_password
from models.base import utcnow
from models.users import Role, User

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")


class AccountError(ValueError):
    """A request about an account that cannot be honoured; the message is for the person."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(
    session: Session,
    email: str,
    *,
    password: str | None = None,
    name: str = "",
    roles: list[str] | None = None,
) -> User:
    email = normalise_email(email)
    if not EMAIL_RE.match(email):
        raise AccountError("Please enter a valid e-mail address.")
    if find_by_email(session, email) is not None:
        raise AccountError("An account with this e-mail address already exists.")
    roles = roles or [Role.DEVELOPER.value]
    unknown = set(roles) - {r.value for r in Role}
    if unknown:
        raise AccountError(f"Unknown role(s): {', '.join(sorted(unknown))}")
    user = User(
        email=email,
        name=name.strip()[:200],
        roles=sorted(set(roles)),
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user if the password is right and the account active; ``None`` otherwise."""
    user = find_by_email(session, email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or not user.is_active:
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_seen_at = utcnow()
    return user


def grant_role(user: User, role: Role | str) -> None:
    if not user.has_role(role):
        user.roles = sorted({*(user.roles or []), str(role)})
