"""models.tickets: ticket ids are short, random, readable aloud, and never sequential."""

import re

from models.tickets import CROCKFORD, new_ticket_id, normalise_ticket_id
from tests.support.factories import make_ticket, make_user

PATTERN = re.compile(r"^VT-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def test_ticket_ids_look_like_vt_xxxx_xxxx_in_crockford_base32():
    for _ in range(500):
        assert PATTERN.match(new_ticket_id())


def test_ticket_ids_avoid_letters_that_are_misread():
    assert not set("ILOU") & set(CROCKFORD)


def test_ticket_ids_do_not_repeat_in_ten_thousand_draws():
    ids = {new_ticket_id() for _ in range(10_000)}
    assert len(ids) == 10_000


def test_consecutive_tickets_get_unrelated_ids(session):
    user = make_user(session)
    first = make_ticket(session, user).ticket_id
    second = make_ticket(session, user).ticket_id
    assert first != second
    assert PATTERN.match(first) and PATTERN.match(second)
    shared_prefix = 0
    while first[shared_prefix] == second[shared_prefix]:
        shared_prefix += 1
    assert shared_prefix < 8


def test_what_people_type_is_normalised_to_the_ticket_id():
    assert normalise_ticket_id("vt-7k3f-9q2m") == "VT-7K3F-9Q2M"
    assert normalise_ticket_id("7K3F9Q2M") == "VT-7K3F-9Q2M"
    assert normalise_ticket_id("VT-7K3F-9QZM".replace("Z", "O")) == "VT-7K3F-9Q0M"
    assert normalise_ticket_id("VT-1") == ""
    assert normalise_ticket_id("'; drop table") == ""
