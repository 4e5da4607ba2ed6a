"""Who is asking: the signed-in user (browser session) or the owner of a Bearer token."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, session, url_for

from accounts.tokens import resolve_token
from models.db import db
from models.users import ApiToken, Role, User

F = TypeVar("F", bound=Callable[..., Any])


def wants_json() -> bool:
    """API and webhook paths always speak JSON; elsewhere, follow the Accept header."""
    if request.path.startswith(("/api/", "/webhooks/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        return secret.strip()
    return None


def forget_identity() -> None:
    """Start each request without a remembered user: ``g`` outlives a request when an app
    context is already pushed (tests, CLI), and a stale identity must never carry over."""
    g.pop("current_user", None)
    g.pop("api_token", None)


def current_token() -> ApiToken | None:
    return g.get("api_token")


def current_user() -> User | None:
    if "current_user" in g:
        return g.current_user
    user: User | None = None
    secret = _bearer_secret()
    if secret is not None:
        token = resolve_token(db, secret)
        if token is not None:
            g.api_token = token
            user = token.user
            db.commit()
    else:
        uid = session.get("uid")
        if isinstance(uid, int):
            candidate = db.get(User, uid)
            if (
                candidate is not None
                and candidate.is_active
                and session.get("epoch") == candidate.session_epoch
            ):
                user = candidate
    g.current_user = user
    return user


def sign_in_session(user: User) -> None:
    """Start a fresh session for ``user`` (rotation: nothing from before sign-in survives)."""
    session.clear()
    session["uid"] = user.id
    session["epoch"] = user.session_epoch
    session.permanent = True
    g.current_user = user


def sign_out_session() -> None:
    session.clear()
    g.current_user = None


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            if wants_json():
                abort(401)
            return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def role_required(role: Role | str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None or not user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def client_ip() -> str:
    """The client address as ProxyFix resolved it from the trusted proxies (never raw XFF)."""
    return request.remote_addr or "unknown"
