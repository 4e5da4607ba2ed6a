"""Personal API tokens: shown once, stored only as a hash, revocable, scoped."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.users import ApiToken, User, hash_token

SCOPES = ("read", "write")


def create_token(
    session: Session, user: User, *, name: str = "", scopes: list[str] | None = None
) -> tuple[ApiToken, str]:
    """Returns the stored row and the secret, which exists nowhere else after this call."""
    scopes = scopes or list(SCOPES)
    if set(scopes) - set(SCOPES):
        raise ValueError(f"scopes must be among {', '.join(SCOPES)}")
    secret = ApiToken.new_secret()
    token = ApiToken(
        user_id=user.id,
        name=name[:100],
        token_hash=hash_token(secret),
        prefix=secret[:8],
        scopes=sorted(set(scopes)),
    )
    session.add(token)
    session.flush()
    return token, secret


def resolve_token(session: Session, secret: str) -> ApiToken | None:
    if not secret or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    token.last_used_at = utcnow()
    return token


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = token.revoked_at or utcnow()


def active_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """The tokens a user can still use, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def owned_token(session: Session, user_id: int, token_id: int) -> ApiToken | None:
    """The token if it belongs to the user (anything else looks the same as a missing one)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id or token.revoked_at is not None:
        return None
    return token


def issue_token(
    session: Session,
    user: User,
    *,
    name: str = "",
    scopes: list[str] | None = None,
    ip: str | None = None,
    by_operator: bool = False,
) -> tuple[ApiToken, str]:
    """Create a token and audit it (the user's own doing, or the operator's from the CLI)."""
    from models.audit import record_audit

    token, secret = create_token(session, user, name=name, scopes=scopes)
    record_audit(
        session,
        "token.create",
        actor_id=None if by_operator else user.id,
        actor_label="cli" if by_operator else None,
        ip=ip,
        object_type="api_token",
        object_id=token.id,
        prefix=token.prefix,
        scopes=token.scopes,
        user_id=user.id,
    )
    return token, secret


def revoke_owned_token(
    session: Session, user_id: int, token_id: int, *, ip: str | None = None
) -> ApiToken | None:
    """Revoke one of the user's own tokens and audit it; ``None`` when they have no such token
    (someone else's token looks exactly like a missing one)."""
    from models.audit import record_audit

    token = owned_token(session, user_id, token_id)
    if token is None:
        return None
    revoke_token(token)
    record_audit(
        session,
        "token.revoke",
        actor_id=user_id,
        ip=ip,
        object_type="api_token",
        object_id=token.id,
        prefix=token.prefix,
    )
    return token
