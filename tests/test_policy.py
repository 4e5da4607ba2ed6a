"""policy: every role against every rule, then the states that change the answers.

Roles: anonymous, another developer, another reviewer, the reviewer holding an open offer,
the assigned reviewer, the owner, an admin.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

import policy
from models.base import utcnow
from models.offers import Offer, OfferStatus
from models.reviewers import ReviewerProfile
from models.reviews import Attachment, ReviewComment
from models.tickets import Submission, TicketStatus
from models.users import User

ROLES = ("anonymous", "other_dev", "other_rev", "offered", "assigned", "owner", "admin")


def _user(uid: int, *roles: str) -> User:
    return User(id=uid, email=f"u{uid}@example.com", roles=list(roles), is_active=True)


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    users = {
        "anonymous": None,
        "other_dev": _user(2, "developer"),
        "other_rev": _user(3, "reviewer"),
        "offered": _user(4, "reviewer"),
        "assigned": _user(5, "reviewer"),
        "owner": _user(6, "developer"),
        "admin": _user(7, "admin"),
    }
    ticket = Submission(
        id=10,
        owner_id=6,
        reviewer_id=5,
        status=TicketStatus.IN_REVIEW.value,
        scanned_at=utcnow(),
        source="upload",
    )
    offer = Offer(
        id=20,
        submission_id=10,
        reviewer_id=4,
        status=OfferStatus.OFFERED.value,
        expires_at=utcnow() + timedelta(hours=1),
    )
    comment = ReviewComment(id=30, submission_id=10, author_id=5, body="x", submission=ticket)
    attachment = Attachment(
        id=40,
        submission_id=10,
        filename="r.pdf",
        content_type="application/pdf",
        size=1,
        scan_status="clean",
    )
    profile = ReviewerProfile(id=50, user_id=5, handle="rev")
    return {
        "users": users,
        "ticket": ticket,
        "offer": offer,
        "comment": comment,
        "attachment": attachment,
        "profile": profile,
    }


def _rules(w):  # type: ignore[no-untyped-def]
    t, o = w["ticket"], w["offer"]
    return {
        "view_ticket": lambda u: policy.can_view_ticket(u, t, o),
        "view_code": lambda u: policy.can_view_code(u, t),
        "cancel_ticket": lambda u: policy.can_cancel_ticket(u, t),
        "retry_ticket": lambda u: policy.can_retry_ticket(u, t),
        "comment": lambda u: policy.can_comment(u, t),
        "edit_comment": lambda u: policy.can_edit_comment(u, w["comment"]),
        "resolve_comment": lambda u: policy.can_resolve_comment(u, t),
        "write_feedback": lambda u: policy.can_write_feedback(u, t),
        "attach": lambda u: policy.can_attach(u, t),
        "download_attachment": lambda u: policy.can_download_attachment(u, t, w["attachment"]),
        "rate": lambda u: policy.can_rate(u, t),
        "answer_offer": lambda u: policy.can_answer_offer(u, o),
        "edit_profile": lambda u: policy.can_edit_profile(u, w["profile"]),
        "administer": lambda u: policy.can_administer(u),
        "is_admin": lambda u: policy.is_admin(u),
        "is_owner": lambda u: policy.is_owner(u, t),
        "is_assigned_reviewer": lambda u: policy.is_assigned_reviewer(u, t),
    }


# A ticket in review (scanned), assigned to "assigned", with an open offer to "offered".
#                        anon other_dev other_rev offered assigned owner admin
EXPECTED_IN_REVIEW = """
view_ticket               .    .    .    Y    Y    Y    Y
view_code                 .    .    .    .    Y    Y    Y
cancel_ticket             .    .    .    .    .    Y    Y
retry_ticket              .    .    .    .    .    Y    Y
comment                   .    .    .    .    Y    Y    Y
edit_comment              .    .    .    .    Y    .    Y
resolve_comment           .    .    .    .    Y    Y    Y
write_feedback            .    .    .    .    Y    .    .
attach                    .    .    .    .    Y    .    .
download_attachment       .    .    .    .    Y    Y    Y
rate                      .    .    .    .    .    .    .
answer_offer              .    .    .    Y    .    .    .
edit_profile              .    .    .    .    Y    .    Y
administer                .    .    .    .    .    .    Y
is_admin                  .    .    .    .    .    .    Y
is_owner                  .    .    .    .    .    Y    .
is_assigned_reviewer      .    .    .    .    Y    .    .
"""


def _matrix(text: str) -> dict[str, dict[str, bool]]:
    table = {}
    for line in text.strip().splitlines():
        rule, *marks = line.split()
        table[rule] = {role: mark == "Y" for role, mark in zip(ROLES, marks, strict=True)}
    return table


def _actual(w, rules) -> dict[str, dict[str, bool]]:  # type: ignore[no-untyped-def]
    return {
        name: {role: bool(rule(w["users"][role])) for role in ROLES} for name, rule in rules.items()
    }


def test_the_matrix_covers_every_rule_in_policy(world):
    public = {
        name.removeprefix("can_")
        for name in dir(policy)
        if (name.startswith(("can_", "is_"))) and callable(getattr(policy, name))
    }
    assert public == set(_rules(world)) | {"is_admin", "is_owner", "is_assigned_reviewer"}


@pytest.mark.parametrize("rule", list(_matrix(EXPECTED_IN_REVIEW)))
def test_every_role_against_every_rule_while_in_review(world, rule):
    expected = _matrix(EXPECTED_IN_REVIEW)[rule]
    actual = _actual(world, {rule: _rules(world)[rule]})[rule]
    assert actual == expected


def _only(world, rule, status=None, **changes):  # type: ignore[no-untyped-def]
    for name, value in changes.items():
        setattr(world["ticket"], name, value)
    if status:
        world["ticket"].status = status
    rules = _rules(world)
    return {role for role in ROLES if rules[rule](world["users"][role])}


def test_after_completion_only_the_owner_rates_and_nobody_writes_feedback(world):
    done = TicketStatus.COMPLETED.value
    assert _only(world, "rate", done) == {"owner"}
    assert _only(world, "write_feedback", done) == set()
    assert _only(world, "attach", done) == set()
    assert _only(world, "cancel_ticket", done) == set()
    assert _only(world, "comment", done) == {"assigned", "owner", "admin"}


def test_unscanned_code_is_shown_to_nobody_not_even_admins(world):
    scanning = TicketStatus.SCANNING.value
    assert _only(world, "view_code", scanning, scanned_at=None) == set()
    assert _only(world, "download_attachment", scanning, scanned_at=None) == set()
    assert _only(world, "comment", scanning, scanned_at=None) == set()
    assert _only(world, "view_ticket", scanning, scanned_at=None) == {
        "offered",
        "assigned",
        "owner",
        "admin",
    }


def test_rejected_code_stays_hidden(world):
    assert _only(world, "view_code", TicketStatus.REJECTED.value) == set()


def test_an_offer_no_longer_open_gives_no_access(world):
    for status in (OfferStatus.DECLINED, OfferStatus.EXPIRED, OfferStatus.WITHDRAWN):
        world["offer"].status = status.value
        assert "offered" not in _only(world, "view_ticket")
        assert _only(world, "answer_offer") == set()


def test_an_offer_for_another_ticket_gives_no_access(world):
    world["offer"].submission_id = 99
    assert "offered" not in _only(world, "view_ticket")


def test_an_infected_or_unscanned_attachment_is_never_downloadable(world):
    for status in ("pending", "infected", "error"):
        world["attachment"].scan_status = status
        assert _only(world, "download_attachment") == set()


def test_an_attachment_of_another_ticket_is_not_downloadable_through_this_one(world):
    world["attachment"].submission_id = 99
    assert _only(world, "download_attachment") == set()


def test_a_reviewer_taken_off_the_ticket_can_no_longer_edit_their_comments(world):
    world["ticket"].reviewer_id = 3  # reassigned to other_rev
    assert _only(world, "edit_comment") == {"admin"}


def test_a_deactivated_admin_has_no_admin_rights(world):
    world["users"]["admin"].is_active = False
    assert _only(world, "administer") == set()
    assert "admin" not in _only(world, "view_code")


def test_a_ticket_without_owner_or_reviewer_belongs_to_nobody(world):
    assert _only(world, "is_owner", owner_id=None) == set()
    assert _only(world, "is_assigned_reviewer", reviewer_id=None) == set()
    assert _only(world, "view_ticket", owner_id=None, reviewer_id=None) == {"offered", "admin"}
