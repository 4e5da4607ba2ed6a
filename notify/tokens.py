"""Signed links in e-mails: answering an offer and unsubscribing, both without signing in.

Each kind of link has its own salt, so a token made for one purpose never opens another; all of
them are derived from ``SECRET_KEY`` (rotating it invalidates every outstanding link).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from settings import Settings

OFFER_SALT = "vetted.offer-answer.v1"
UNSUBSCRIBE_SALT = "vetted.unsubscribe.v1"
OFFER_ACTIONS = ("accept", "decline")
# Unsubscribe links stay valid a long time: people click them from old e-mails.
UNSUBSCRIBE_MAX_AGE = 365 * 24 * 3600


class LinkError(ValueError):
    """The link is forged, damaged, expired or meant for something else; the message says which."""


@dataclass(frozen=True)
class OfferAnswer:
    offer_id: int
    user_id: int
    action: str
    nonce: str


def _serializer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    if not settings.secret_key:
        raise LinkError("Links cannot be signed without SECRET_KEY.")
    return URLSafeTimedSerializer(settings.secret_key, salt=salt)


def _load(settings: Settings, salt: str, token: str, max_age: int | None) -> Any:
    try:
        return _serializer(settings, salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkError("This link has expired.") from None
    except BadSignature:
        raise LinkError("This link is not valid. Please use the link from your e-mail.") from None


def offer_answer_token(settings: Settings, offer_id: int, user_id: int, action: str) -> str:
    if action not in OFFER_ACTIONS:
        raise ValueError(f"unknown offer action {action!r}")
    payload = {"o": offer_id, "u": user_id, "a": action, "n": secrets.token_urlsafe(8)}
    return _serializer(settings, OFFER_SALT).dumps(payload)


def read_offer_answer_token(
    settings: Settings, token: str, offer_id: int, max_age: int | None = None
) -> OfferAnswer:
    """Check the signature and that the token is for this offer (expiry is the offer's own)."""
    data = _load(settings, OFFER_SALT, token, max_age)
    try:
        answer = OfferAnswer(int(data["o"]), int(data["u"]), str(data["a"]), str(data["n"]))
    except (KeyError, TypeError, ValueError):
        raise LinkError("This link is not valid. Please use the link from your e-mail.") from None
    if answer.offer_id != offer_id or answer.action not in OFFER_ACTIONS:
        raise LinkError("This link is not valid. Please use the link from your e-mail.")
    return answer


def unsubscribe_token(settings: Settings, user_id: int, event: str) -> str:
    return _serializer(settings, UNSUBSCRIBE_SALT).dumps({"u": user_id, "e": event})


def read_unsubscribe_token(settings: Settings, token: str) -> tuple[int, str]:
    data = _load(settings, UNSUBSCRIBE_SALT, token, UNSUBSCRIBE_MAX_AGE)
    try:
        return int(data["u"]), str(data["e"])
    except (KeyError, TypeError, ValueError):
        raise LinkError("This link is not valid. Please use the link from your e-mail.") from None
