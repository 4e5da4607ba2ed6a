"""cli.demo: ``demo seed`` creates verified demo reviewers once."""

from sqlalchemy import func, select

from models.reviewers import ReviewerProfile


def test_demo_seed_creates_verified_reviewers_and_is_idempotent(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo", "seed"])
    assert "Created 0 demo reviewer" in second.output
    profiles = session.scalars(select(ReviewerProfile)).all()
    assert len(profiles) == 4
    assert all(p.verified_tags for p in profiles)
    assert session.scalar(select(func.count()).select_from(ReviewerProfile)) == 4
