"""Turning a recorded delivery into the message a backend sends.

Templates live in ``web/templates/email/<event>.{txt,html}``; they are rendered with plain
Jinja (no Flask): jobs render them, not requests. Signed links are made at send time, so no
token is ever stored in the database.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from models.notifications import EmailDelivery
from models.offers import Offer, OfferStatus
from models.users import User
from notify.backends.base import OutgoingEmail
from notify.tokens import offer_answer_token, unsubscribe_token
from settings import Settings

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "web" / "templates" / "email"


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def absolute(settings: Settings, path: str | None) -> str | None:
    if not path:
        return None
    return settings.base_url.rstrip("/") + path


def message_id(settings: Settings, dedup_key: str) -> str:
    """Stable per delivery: a resend, were one ever to happen, would be recognisably the same."""
    domain = urlsplit(settings.base_url).hostname or "vetted.local"
    return f"<{hashlib.sha256(dedup_key.encode()).hexdigest()[:32]}@{domain}>"


def unsubscribe_url(settings: Settings, user_id: int, event: str) -> str:
    query = urlencode({"token": unsubscribe_token(settings, user_id, event)})
    return f"{settings.base_url.rstrip('/')}/notifications/unsubscribe?{query}"


def offer_links(settings: Settings, session: Session, offer_id: int) -> dict[str, Any]:
    """Accept/decline links, only while the offer is open (a late e-mail carries none)."""
    offer = session.get(Offer, offer_id)
    if offer is None or offer.status != OfferStatus.OFFERED.value:
        return {}
    base = f"{settings.base_url.rstrip('/')}/offers/{offer.id}/email-answer?"
    return {
        action + "_url": base
        + urlencode({"token": offer_answer_token(settings, offer.id, offer.reviewer_id, action)})
        for action in ("accept", "decline")
    } | {"expires_at": offer.expires_at}


def password_reset_url(settings: Settings, user: User) -> str:
    from accounts.resets import make_reset_token

    token = make_reset_token(settings.secret_key, user)
    return f"{settings.base_url.rstrip('/')}/reset-password/{token}"


def template_names(event: str) -> tuple[str, str]:
    return f"{event}.txt", f"{event}.html"


def render(settings: Settings, session: Session, delivery: EmailDelivery) -> OutgoingEmail:
    meta: dict[str, Any] = dict(delivery.meta or {})
    user = session.get(User, delivery.user_id) if delivery.user_id else None
    preference_event = meta.get("preference_event", delivery.event)
    unsubscribe = (
        unsubscribe_url(settings, delivery.user_id, preference_event)
        if user and not meta.get("no_unsubscribe")
        else None
    )
    context: dict[str, Any] = {
        "title": meta.get("title", delivery.subject),
        "body": meta.get("body", ""),
        "link_url": absolute(settings, meta.get("link")),
        "ticket_id": meta.get("ticket_id"),
        "user_name": user.display_name if user else "",
        "unsubscribe_url": unsubscribe,
        "settings_url": absolute(settings, "/settings/notifications"),
        "base_url": settings.base_url.rstrip("/"),
        "items": [
            {**item, "link_url": absolute(settings, item.get("link"))}
            for item in meta.get("items", [])
        ],
        "accept_url": None,
        "decline_url": None,
        "expires_at": None,
    }
    if (meta.get("context") or {}).get("password_reset") and user is not None:
        context["link_url"] = password_reset_url(settings, user)
    offer_id = (meta.get("context") or {}).get("offer_id")
    if offer_id is not None:
        context.update(offer_links(settings, session, int(offer_id)))
    if isinstance(context["expires_at"], datetime):
        context["expires_at"] = context["expires_at"].strftime("%Y-%m-%d %H:%M UTC")
    text_name, html_name = template_names(delivery.event)
    env = environment()
    headers = {"Auto-Submitted": "auto-generated"}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return OutgoingEmail(
        to=delivery.to_address,
        subject=delivery.subject,
        text=env.get_template(text_name).render(**context),
        html=env.get_template(html_name).render(**context),
        sender=settings.mail_from,
        message_id=message_id(settings, delivery.dedup_key),
        headers=headers,
    )
