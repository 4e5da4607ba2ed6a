"""Password reset by signed, expiring, single-use link.

The link carries the user id and a fingerprint of the current password hash and session epoch,
signed with ``SECRET_KEY``. Nothing is stored: once the password changes (or the user signs out
everywhere) the fingerprint no longer matches, so a used or superseded link is dead.
"""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from accounts.passwords import hash_password, password_problem
from models.audit import record_audit
from models.users import User

RESET_MAX_AGE_SECONDS = 3600
SALT = "vetted.password-reset"


class ResetError(ValueError):
    """A reset link or new password that cannot be used; the message is for the person."""


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def _fingerprint(user: User) -> str:
    material = f"{user.password_hash or ''}|{user.session_epoch}|{user.email}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


def make_reset_token(secret_key: str, user: User) -> str:
    return _serializer(secret_key).dumps({"uid": user.id, "fp": _fingerprint(user)})


def read_reset_token(
    session: Session, secret_key: str, token: str, max_age: int = RESET_MAX_AGE_SECONDS
) -> User:
    """The user the link was made for, if it is genuine, fresh and still unused."""
    if not token or len(token) > 500:
        raise ResetError("This password reset link is not valid.")
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ResetError(
            "This password reset link has expired. Please ask for a new one."
        ) from None
    except BadSignature:
        raise ResetError("This password reset link is not valid.") from None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        raise ResetError("This password reset link is not valid.")
    user = session.get(User, data["uid"])
    if user is None or not user.is_active:
        raise ResetError("This password reset link is not valid.")
    if not hmac.compare_digest(str(data.get("fp", "")), _fingerprint(user)):
        raise ResetError(
            "This password reset link has already been used. Please ask for a new one."
        )
    return user


def reset_password(session: Session, user: User, password: str, *, ip: str | None = None) -> None:
    """Set the new password and end every existing session (the epoch moves on)."""
    problem = password_problem(password)
    if problem:
        raise ResetError(problem)
    user.password_hash = hash_password(password)
    user.session_epoch = (user.session_epoch or 0) + 1
    record_audit(
        session,
        "user.password_reset",
        actor_id=user.id,
        ip=ip,
        object_type="user",
        object_id=user.id,
    )
