"""Changing a user's roles, always with an audit row (who changed what, from where)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from accounts.users import AccountError
from models.audit import record_audit
from models.users import Role, User


def set_roles(
    session: Session,
    user: User,
    roles: list[str],
    *,
    actor_id: int | None = None,
    actor_label: str | None = None,
    ip: str | None = None,
) -> bool:
    """Replace the user's roles; returns False (and records nothing) when nothing changes."""
    wanted = sorted(set(roles))
    unknown = set(wanted) - {r.value for r in Role}
    if unknown:
        raise AccountError(f"Unknown role(s): {', '.join(sorted(unknown))}")
    if not wanted:
        raise AccountError("A user needs at least one role.")
    before = sorted(user.roles or [])
    if before == wanted:
        return False
    user.roles = wanted  # every request re-reads the user, so the change applies at once
    record_audit(
        session,
        "user.roles_changed",
        actor_id=actor_id,
        actor_label=actor_label,
        ip=ip,
        object_type="user",
        object_id=user.id,
        before=before,
        after=wanted,
    )
    return True
