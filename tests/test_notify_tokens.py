"""Signed e-mail links: one purpose each, bound to their offer, tamper-proof."""

from __future__ import annotations

import pytest

from notify.tokens import (
    LinkError,
    offer_answer_token,
    read_offer_answer_token,
    read_unsubscribe_token,
    unsubscribe_token,
)
from settings import Settings

SETTINGS = Settings(secret_key="k" * 32)


def test_an_answer_token_reads_back_its_offer_reviewer_and_action():
    token = offer_answer_token(SETTINGS, 7, 3, "decline")
    answer = read_offer_answer_token(SETTINGS, token, 7)
    assert (answer.offer_id, answer.user_id, answer.action) == (7, 3, "decline")


def test_two_links_for_the_same_answer_differ():
    assert offer_answer_token(SETTINGS, 7, 3, "accept") != offer_answer_token(
        SETTINGS, 7, 3, "accept"
    )


def test_an_answer_token_for_another_offer_is_refused():
    token = offer_answer_token(SETTINGS, 7, 3, "accept")
    with pytest.raises(LinkError, match="not valid"):
        read_offer_answer_token(SETTINGS, token, 8)


def test_an_unknown_action_cannot_be_signed():
    with pytest.raises(ValueError):
        offer_answer_token(SETTINGS, 7, 3, "delete")


def test_tokens_do_not_cross_purposes():
    with pytest.raises(LinkError):
        read_unsubscribe_token(SETTINGS, offer_answer_token(SETTINGS, 7, 3, "accept"))
    with pytest.raises(LinkError):
        read_offer_answer_token(SETTINGS, unsubscribe_token(SETTINGS, 3, "offer.created"), 7)


def test_an_old_token_past_its_age_is_expired():
    token = offer_answer_token(SETTINGS, 7, 3, "accept")
    with pytest.raises(LinkError, match="expired"):
        read_offer_answer_token(SETTINGS, token, 7, max_age=-1)


def test_an_unsubscribe_token_round_trips_and_resists_tampering():
    token = unsubscribe_token(SETTINGS, 5, "ticket.completed")
    assert read_unsubscribe_token(SETTINGS, token) == (5, "ticket.completed")
    with pytest.raises(LinkError):
        read_unsubscribe_token(SETTINGS, token.replace(".", "x", 1))


def test_links_cannot_be_made_without_a_secret_key():
    with pytest.raises(LinkError, match="SECRET_KEY"):
        unsubscribe_token(Settings(secret_key=""), 5, "ticket.completed")
