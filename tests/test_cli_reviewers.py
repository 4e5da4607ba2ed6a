"""cli.reviewers: ``reviewer create`` bootstraps a verified reviewer, audit-logged."""

from sqlalchemy import select

from models.audit import AuditEvent
from models.reviewers import ExpertiseVerification, ReviewerProfile
from models.users import User


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_reviewer_create_makes_a_verified_reviewer_recorded_as_an_admin_verification(app, session):
    result = run(
        app,
        "reviewer",
        "create",
        "Exp@Example.com",
        "--tags",
        "security, Python",
        "--capacity",
        "4",
    )
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "exp@example.com"))
    profile = session.scalar(select(ReviewerProfile).where(ReviewerProfile.user_id == user.id))
    assert user.has_role("reviewer")
    assert profile.verified_tags == ["python", "security"] and profile.capacity == 4
    rows = session.scalars(select(ExpertiseVerification)).all()
    assert {(r.tag, r.state, r.method) for r in rows} == {
        ("security", "verified", "admin"),
        ("python", "verified", "admin"),
    }
    actions = {e.action for e in session.scalars(select(AuditEvent))}
    assert {"verification.admin", "verification.approved"} <= actions


def test_reviewer_create_promotes_an_existing_user(app, session):
    from tests.support.factories import make_user

    make_user(session, "dev@example.com")
    session.commit()
    result = run(app, "reviewer", "create", "dev@example.com", "--tags", "performance")
    assert result.exit_code == 0, result.output
    assert "verified for performance" in result.output


def test_reviewer_create_refuses_bad_tags_and_capacity_and_changes_nothing(app, session):
    bad_tag = run(app, "reviewer", "create", "x@example.com", "--tags", "sec<urity")
    assert bad_tag.exit_code != 0 and "not a valid expertise tag" in bad_tag.output
    bad_capacity = run(
        app, "reviewer", "create", "x@example.com", "--tags", "security", "--capacity", "0"
    )
    assert bad_capacity.exit_code != 0 and "Capacity must be between" in bad_capacity.output
    assert session.scalar(select(User).where(User.email == "x@example.com")) is None
