"""matching.candidates: hard filters and the documented score, evaluated in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from matching.candidates import find_candidates, has_candidate
from matching.scoring import Weights
from models.base import utcnow
from models.offers import Offer
from reviews.state import transition
from tests.support.factories import make_ticket, make_user
from tests.support.reviewers import make_reviewer

WEIGHTS = Weights(coverage=3.0, rating=2.0, load=1.5, rotation=1.0, timezone=0.5, turnaround=0.5)


def ticket_for(session, owner=None, **fields):
    owner = owner or make_user(session, "dev@example.com")
    ticket = make_ticket(session, owner, **fields)
    transition(session, ticket, "scanning")
    transition(session, ticket, "matching")
    session.flush()
    return ticket


def emails(session, ticket):
    from models.users import User

    return [session.get(User, c.user_id).email for c in find_candidates(session, ticket, WEIGHTS)]


SP = ["security", "python"]
SEC = {"review_types": ["security"]}
SEC_PY = {"review_types": ["security"], "languages": ["python"]}


@pytest.mark.parametrize(
    ("reviewer_fields", "ticket_fields", "eligible"),
    [
        pytest.param({"tags": SP}, {**SEC, "languages": ["Python"]}, True, id="type-and-language"),
        pytest.param({"tags": ["security"]}, SEC, True, id="no-language-detected-needs-the-type"),
        pytest.param({"tags": ["performance", "python"]}, SEC_PY, False, id="missing-review-type"),
        pytest.param({"tags": ["security", "go"]}, SEC_PY, False, id="no-detected-language"),
        pytest.param(
            {"tags": ["security", "django"]},
            {**SEC_PY, "frameworks": ["django"]},
            True,
            id="framework-counts-as-stack",
        ),
        pytest.param(
            {"tags": SP},
            {**SEC_PY, "review_types": ["security", "performance"]},
            False,
            id="must-cover-every-requested-type",
        ),
        pytest.param({"tags": SP, "available": False}, SEC, False, id="unavailable"),
        pytest.param({"tags": SP, "away_until": "future"}, SEC, False, id="away-until-later"),
        pytest.param({"tags": SP, "away_until": "past"}, SEC, True, id="away-period-over"),
        pytest.param({"tags": SP, "capacity": 2, "open_reviews": 2}, SEC, False, id="at-capacity"),
        pytest.param(
            {"tags": SP, "capacity": 2, "open_reviews": 1, "pending_offers": 1},
            SEC,
            False,
            id="unanswered-offers-count-against-capacity",
        ),
    ],
)
def test_hard_filters(pg_url, session, reviewer_fields, ticket_fields, eligible):
    fields = dict(reviewer_fields)
    tags = fields.pop("tags")
    if fields.get("away_until") == "future":
        fields["away_until"] = utcnow() + timedelta(days=2)
    elif fields.get("away_until") == "past":
        fields["away_until"] = utcnow() - timedelta(days=2)
    capacity = fields.pop("capacity", 3)
    make_reviewer(session, "rev@example.com", tags, capacity=capacity, **fields)
    ticket = ticket_for(session, **ticket_fields)
    assert (emails(session, ticket) == ["rev@example.com"]) is eligible
    assert has_candidate(session, ticket) is eligible


def test_the_submitter_is_never_their_own_reviewer(pg_url, session):
    profile = make_reviewer(session, "rev@example.com", ["security"])
    ticket = ticket_for(session, owner=profile.user)
    assert emails(session, ticket) == []


@pytest.mark.parametrize("status", ["declined", "expired", "offered", "withdrawn"])
def test_someone_who_already_had_an_offer_for_the_ticket_is_skipped(pg_url, session, status):
    profile = make_reviewer(session, "rev@example.com", ["security"])
    ticket = ticket_for(session)
    session.add(
        Offer(
            submission_id=ticket.id,
            reviewer_id=profile.user_id,
            status=status,
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    session.flush()
    assert emails(session, ticket) == []


def test_a_deactivated_account_gets_no_offers(pg_url, session):
    profile = make_reviewer(session, "rev@example.com", ["security"])
    profile.user.is_active = False
    session.flush()
    assert emails(session, ticket_for(session)) == []


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        ({"tags": ["security", "python", "django"]}, {"tags": ["security", "python"]}),
        ({"rating_sum": 48, "rating_count": 10}, {"rating_sum": 30, "rating_count": 10}),
        ({"rating_sum": 95, "rating_count": 20}, {"rating_sum": 10, "rating_count": 2}),
        ({"open_reviews": 0}, {"open_reviews": 2}),
        ({"last_offered_at": "long-ago"}, {"last_offered_at": "just-now"}),
        ({"median_turnaround_hours": 4.0}, {"median_turnaround_hours": 96.0}),
        ({"timezone": "in-hours"}, {"timezone": "out-of-hours"}),
    ],
    ids=[
        "coverage",
        "rating",
        "bayesian-many-good-ratings-beat-few-perfect",
        "load",
        "rotation",
        "turnaround",
        "working-hours-now",
    ],
)
def test_each_score_component_ranks_the_better_reviewer_first(pg_url, session, better, worse):
    now = utcnow()
    hour = now.hour
    base = {"last_offered_at": now - timedelta(hours=10), "timezone": "UTC",
            "work_start_hour": hour, "work_end_hour": (hour + 1) % 24}  # fmt: skip
    resolved = {}
    for name, fields in (("worse", worse), ("better", better)):
        f = {**base, **fields}
        tags = f.pop("tags", ["security", "python"])
        if f["last_offered_at"] == "long-ago":
            f["last_offered_at"] = now - timedelta(hours=60)
        elif f["last_offered_at"] == "just-now":
            f["last_offered_at"] = now - timedelta(minutes=1)
        if f["timezone"] == "in-hours":
            f["timezone"] = "UTC"
        elif f["timezone"] == "out-of-hours":
            f["work_start_hour"], f["work_end_hour"] = (hour + 2) % 24, (hour + 3) % 24
            f["timezone"] = "UTC"
        resolved[name] = make_reviewer(session, f"{name}@example.com", tags, **f)
    ticket = ticket_for(session, languages=["python"], frameworks=["django"])
    assert emails(session, ticket) == ["better@example.com", "worse@example.com"]


def test_ties_break_on_the_earliest_last_offer_then_the_lowest_id(pg_url, session):
    when = utcnow() - timedelta(hours=100)  # rotation saturated: the scores are equal
    make_reviewer(session, "a@example.com", ["security"], last_offered_at=when)
    make_reviewer(session, "b@example.com", ["security"], last_offered_at=when - timedelta(hours=1))
    make_reviewer(session, "c@example.com", ["security"], last_offered_at=when)
    ticket = ticket_for(session)
    assert emails(session, ticket) == ["b@example.com", "a@example.com", "c@example.com"]


def test_the_explanation_says_why(pg_url, session):
    make_reviewer(session, "rev@example.com", ["security", "python"])
    ticket = ticket_for(session, languages=["python", "go"])
    (candidate,) = find_candidates(session, ticket, WEIGHTS)
    explanation = candidate.explanation
    assert explanation["matched_tags"] == ["security", "python"]
    assert explanation["components"]["coverage"] == 0.5
    assert explanation["weights"]["coverage"] == 3.0
    assert "Verified for security, python" in explanation["summary"]
    assert explanation["score"] == pytest.approx(candidate.score, abs=0.01)


def test_the_candidate_query_works_on_sqlite_too(tmp_path):
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    import models
    from models.crypto import Keyring, configure_keyring
    from tests.conftest import TEST_KEYS

    configure_keyring(Keyring.from_setting(TEST_KEYS))
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    models.Base.metadata.create_all(engine)
    with Session(engine) as session:
        make_reviewer(session, "a@example.com", ["security", "python"], open_reviews=1)
        make_reviewer(session, "b@example.com", ["security", "python"])
        make_reviewer(session, "c@example.com", ["performance", "python"])
        ticket = ticket_for(session, languages=["python"])
        assert emails(session, ticket) == ["b@example.com", "a@example.com"]
