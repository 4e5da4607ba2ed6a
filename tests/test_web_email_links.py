"""Offer answer and unsubscribe links: signed, for one purpose, expiring, once only."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from models.notifications import NotificationPreference
from notify.tokens import offer_answer_token, unsubscribe_token
from tests.support.factories import make_ticket, make_user
from tests.support.notify import make_offer, make_reviewer


@pytest.fixture
def offer(session):
    dev = make_user(session, "dev@example.com")
    rev = make_reviewer(session)
    made = make_offer(session, make_ticket(session, dev), rev)
    session.commit()
    return made


def answer_url(offer_id: int, token: str) -> str:
    return f"/offers/{offer_id}/email-answer?{urlencode({'token': token})}"


def test_opening_an_answer_link_shows_a_confirmation_and_changes_nothing(
    client, settings, session, offer
):
    token = offer_answer_token(settings, offer.id, offer.reviewer_id, "accept")
    page = client.get(answer_url(offer.id, token))
    assert page.status_code == 200
    assert b"Accept review request" in page.data
    session.refresh(offer)
    assert offer.status == "offered"


def test_a_tampered_or_foreign_link_is_refused_with_a_clear_message(
    client, settings, session, offer
):
    token = offer_answer_token(settings, offer.id, offer.reviewer_id, "accept")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.post(answer_url(offer.id, tampered))
    assert response.status_code == 400 and b"not valid" in response.data
    other = make_user(session, "mallory@example.com", "reviewer")
    session.commit()
    forged_for_other = offer_answer_token(settings, offer.id, other.id, "accept")
    assert client.post(answer_url(offer.id, forged_for_other)).status_code == 400
    # a token for another offer does not open this one
    assert client.post(answer_url(offer.id + 1, token)).status_code == 400
    # an unsubscribe token is not an answer token
    wrong_kind = unsubscribe_token(settings, offer.reviewer_id, "offer.created")
    assert client.post(answer_url(offer.id, wrong_kind)).status_code == 400
    assert client.get(f"/offers/{offer.id}/email-answer").status_code == 400
    session.refresh(offer)
    assert offer.status == "offered"


def test_a_link_expires_with_its_offer(client, settings, session, offer):
    offer.expires_at = offer.expires_at - timedelta(days=2)
    session.commit()
    token = offer_answer_token(settings, offer.id, offer.reviewer_id, "accept")
    response = client.post(answer_url(offer.id, token))
    assert response.status_code == 410
    assert b"This offer has expired." in response.data


def test_a_link_for_an_offer_already_answered_does_not_work(client, settings, session, offer):
    offer.status = "declined"
    session.commit()
    token = offer_answer_token(settings, offer.id, offer.reviewer_id, "accept")
    response = client.post(answer_url(offer.id, token))
    assert response.status_code == 409
    assert b"works only once" in response.data


def test_answer_links_are_signed_with_the_secret_key(client, settings, offer):
    other_site = settings.with_overrides(secret_key="another-secret")
    token = offer_answer_token(other_site, offer.id, offer.reviewer_id, "accept")
    assert client.post(answer_url(offer.id, token)).status_code == 400


def test_unsubscribe_needs_no_sign_in_and_turns_off_that_event_only(
    client, settings, session, offer
):
    token = unsubscribe_token(settings, offer.reviewer_id, "offer.created")
    confirm = client.get(f"/notifications/unsubscribe?{urlencode({'token': token})}")
    assert confirm.status_code == 200 and b"New review request offered to you" in confirm.data
    done = client.post("/notifications/unsubscribe", data={"token": token})
    assert done.status_code == 200 and b"You are unsubscribed" in done.data
    prefs = session.scalars(select(NotificationPreference)).all()
    assert [(p.user_id, p.event, p.email) for p in prefs] == [
        (offer.reviewer_id, "offer.created", False)
    ]
    # idempotent
    assert client.post("/notifications/unsubscribe", data={"token": token}).status_code == 200


def test_one_click_unsubscribe_works_without_a_csrf_token(app_config, tmp_path):
    from app import create_app

    strict = create_app({**app_config, "wtf_csrf_enabled": True})
    settings = strict.config["SETTINGS"]
    from models.db import new_session

    s = new_session()
    user = make_user(s, "one@example.com")
    s.commit()
    token = unsubscribe_token(settings, user.id, "ticket.completed")
    with strict.test_client() as client:
        response = client.post(
            f"/notifications/unsubscribe?{urlencode({'token': token})}",
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
        # other forms still need their CSRF token
        assert client.post("/notifications/read-all").status_code in (400, 302)
    s.expire_all()
    pref = s.scalar(select(NotificationPreference))
    assert (pref.event, pref.email) == ("ticket.completed", False)
    s.close()


def test_a_broken_unsubscribe_link_is_refused_and_changes_nothing(client, session):
    response = client.post("/notifications/unsubscribe", data={"token": "garbage"})
    assert response.status_code == 400
    assert b"This link is not valid" in response.data
    assert session.scalars(select(NotificationPreference)).all() == []
