"""matching.work_history and the work-history job, against a local stand-in for the forges."""

from __future__ import annotations

from sqlalchemy import select

from matching.evidence import fetch_work_history
from matching.verification import ensure_profile
from matching.work_history import github_summary, gitlab_summary
from models.reviewers import Evidence
from tests.support.factories import make_user
from tests.support.httpstub import Canned, StubServer

REPOS = [
    {"name": "a", "language": "Python", "fork": False},
    {"name": "b", "language": "Python", "fork": False},
    {"name": "c", "language": "Go", "fork": False},
    {"name": "d", "language": "Rust", "fork": True},
    {"name": "e", "language": None, "fork": False},
]


def github(stub: StubServer) -> None:
    stub.script(
        "GET",
        "/users/octo",
        Canned(
            200,
            {
                "login": "octo",
                "created_at": "2015-01-02T03:04:05Z",
                "public_repos": 5,
                "followers": 42,
            },
        ),  # fmt: skip
    )
    stub.script("GET", "/users/octo/repos", Canned(200, REPOS))


def test_a_github_account_is_summarised_for_the_admin(settings):
    with StubServer() as stub:
        github(stub)
        summary = github_summary(settings.with_overrides(github_api_url=stub.url), "octo")
    assert summary["public_repos"] == 5 and summary["followers"] == 42
    assert summary["account_age_days"] > 3000
    assert summary["top_languages"] == [
        {"language": "Python", "repos": 2},
        {"language": "Go", "repos": 1},
    ]


def test_a_gitlab_account_is_summarised_for_the_admin(settings):
    with StubServer() as stub:
        stub.script("GET", "/api/v4/users", Canned(200, [{"id": 7, "username": "gl"}]))
        stub.script(
            "GET",
            "/api/v4/users/7",
            Canned(
                200,
                {"id": 7, "username": "gl", "created_at": "2020-05-01T00:00:00Z", "followers": 3},
            ),  # fmt: skip
        )
        stub.script("GET", "/api/v4/users/7/projects", Canned(200, [{"id": 1}, {"id": 2}]))
        stub.script("GET", "/api/v4/projects/1/languages", Canned(200, {"Ruby": 80.0, "JS": 20.0}))
        stub.script("GET", "/api/v4/projects/2/languages", Canned(200, {"Ruby": 100.0}))
        summary = gitlab_summary(settings.with_overrides(gitlab_url=stub.url), "gl")
    assert summary["public_repos"] == 2 and summary["followers"] == 3
    assert summary["top_languages"] == [{"language": "Ruby", "repos": 2}]


def test_the_job_records_one_work_history_evidence_even_when_run_twice(settings, session):
    profile = ensure_profile(session, make_user(session, "app@example.com"))
    profile.github_username = "octo"
    session.commit()
    with StubServer() as stub:
        octo = {"login": "octo", "created_at": "2015-01-02T03:04:05Z", "followers": 42}
        stub.script("GET", "/users/octo", Canned(502), Canned(200, octo))
        stub.script("GET", "/users/octo/repos", Canned(200, REPOS))
        local = settings.with_overrides(github_api_url=stub.url)
        fetch_work_history(profile.id, "github", local)  # survives a 502 by retrying
        fetch_work_history(profile.id, "github", local)
    rows = session.scalars(select(Evidence).where(Evidence.kind == "work_history")).all()
    assert len(rows) == 1 and rows[0].data["followers"] == 42
    assert stub.hits("GET", "/users/octo") >= 3


def test_a_missing_account_is_recorded_as_such(settings, session):
    profile = ensure_profile(session, make_user(session, "app@example.com"))
    profile.github_username = "ghost"
    session.commit()
    with StubServer() as stub:
        fetch_work_history(profile.id, "github", settings.with_overrides(github_api_url=stub.url))
    row = session.scalar(select(Evidence))
    assert row.data["error"] == "No such account on github"
