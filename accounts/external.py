"""Accounts signed in through GitHub or GitLab (OAuth): find, link or create the Vetted user.

Linking by e-mail only happens for an address the provider says is verified; otherwise anyone
could register that address at the provider and take over the Vetted account.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.users import AccountError, create_user, find_by_email
from models.base import utcnow
from models.users import User

PROVIDER_FIELDS = {"github": "github_login", "gitlab": "gitlab_username"}


@dataclass(frozen=True)
class ExternalIdentity:
    provider: str  # github | gitlab
    login: str
    email: str | None
    email_verified: bool
    name: str = ""

    @property
    def provider_label(self) -> str:
        return {"github": "GitHub", "gitlab": "GitLab"}.get(self.provider, self.provider)


def _by_login(session: Session, identity: ExternalIdentity) -> User | None:
    column = getattr(User, PROVIDER_FIELDS[identity.provider])
    return session.scalar(select(User).where(func.lower(column) == identity.login.lower()))


def user_for_identity(session: Session, identity: ExternalIdentity) -> tuple[User, bool]:
    """The user to sign in and whether the account was created now."""
    if identity.provider not in PROVIDER_FIELDS or not identity.login:
        raise AccountError("The sign-in provider did not say who you are.")
    user = _by_login(session, identity)
    created = False
    if user is None:
        if not identity.email or not identity.email_verified:
            raise AccountError(
                f"Your {identity.provider_label} account has no verified e-mail address. "
                "Verify one there, or sign up with e-mail and a password."
            )
        user = find_by_email(session, identity.email)
        if user is None:
            user = create_user(session, identity.email, name=identity.name or identity.login)
            created = True
        setattr(user, PROVIDER_FIELDS[identity.provider], identity.login[:100])
    if not user.is_active:
        raise AccountError("This account has been deactivated.")
    user.last_seen_at = utcnow()
    return user, created
