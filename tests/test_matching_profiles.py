"""matching.profiles: every field is validated; coming back to work retries waiting tickets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from matching.profiles import Application, ProfileError, apply
from models.base import utcnow
from models.outbox import Outbox
from tests.support.factories import make_user


def application(**changes):
    fields = {
        "bio": "",
        "tags": ["security"],
        "github_username": "",
        "gitlab_username": "",
        "timezone": "UTC",
        "work_start_hour": 9,
        "work_end_hour": 17,
        "capacity": 3,
        "available": True,
        "away_until": None,
    }
    return Application(**{**fields, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Nowhere/Special"}, "not a time zone we know"),
        ({"work_start_hour": 24}, "whole hours from 0 to 23"),
        ({"work_start_hour": 9, "work_end_hour": 9}, "different hours"),
        ({"capacity": 0}, "Capacity must be between 1 and 20"),
        ({"away_until": utcnow() - timedelta(days=1)}, "must be in the future"),
        ({"tags": []}, "at least one expertise tag"),
        ({"github_username": "no spaces allowed"}, "does not look like"),
        ({"bio": "x" * 4001}, "under 4,000 characters"),
    ],
)
def test_bad_fields_are_refused_by_name(pg_url, session, changes, message):
    user = make_user(session, "app@example.com")
    with pytest.raises(ProfileError, match=message):
        apply(session, user, application(**changes))


def test_coming_back_from_away_retries_unmatched_tickets(pg_url, session):
    user = make_user(session, "app@example.com")
    apply(session, user, application(available=False))
    assert not [r for r in session.scalars(select(Outbox)) if r.job.endswith("retry_unmatched")]
    apply(session, user, application(available=True))
    retries = [r for r in session.scalars(select(Outbox)) if r.job.endswith("retry_unmatched")]
    assert retries and retries[0].kwargs == {"due_only": False}


def test_linking_an_account_queues_its_work_history_once(pg_url, session):
    user = make_user(session, "app@example.com")
    apply(session, user, application(github_username="@octo"))
    apply(session, user, application(github_username="octo"))
    jobs = [r for r in session.scalars(select(Outbox)) if r.job.endswith("fetch_work_history")]
    assert [j.kwargs for j in jobs] == [
        {"profile_id": jobs[0].kwargs["profile_id"], "forge": "github"}
    ]
