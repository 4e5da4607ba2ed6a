"""web.profiles and reviews.profiles: public reviewer profiles and the directory."""

from datetime import timedelta

from models.base import utcnow
from models.reviewers import ReviewerProfile
from models.reviews import Rating
from reviews.state import transition
from tests.support.factories import make_user
from tests.support.workspace import make_reviewer, make_workspace


def _rated(session, settings, tmp_path, score, comment, show_submitter=False, **kw):
    ws = make_workspace(session, settings, tmp_path, **kw)
    ws.ticket.accepted_at = utcnow() - timedelta(hours=6)
    transition(session, ws.ticket, "completed")
    session.add(
        Rating(
            submission_id=ws.ticket.id,
            reviewer_id=ws.reviewer.id,
            rater_id=ws.owner.id,
            score=score,
            comment=comment,
            show_submitter=show_submitter,
        )
    )
    profile = session.query(ReviewerProfile).filter_by(user_id=ws.reviewer.id).one()
    profile.rating_count, profile.rating_sum, profile.rating_avg = 1, score, float(score)
    session.commit()
    return ws


def test_a_profile_shows_bio_badges_rating_distribution_and_recent_reviews(
    client, session, settings, tmp_path
):
    ws = _rated(session, settings, tmp_path, 4, "Clear and thorough")
    html = client.get("/reviewers/reva").text
    assert "<strong>Ten years</strong>" in html
    assert "✓ security" in html and "✓ python" in html
    assert 'id="rating-average">4.0<' in html and "1 rating<" in html
    assert "Clear and thorough" in html and "security, performance" in html
    assert 'id="completed-count">1<' in html
    assert 'id="turnaround">6 h<' in html
    assert "vt-w-100" in html
    assert ws.owner.display_name not in html and ws.ticket.ticket_id not in html
    assert "SELECT" not in html


def test_the_submitter_is_named_only_when_they_allowed_it(client, session, settings, tmp_path):
    ws = _rated(session, settings, tmp_path, 5, "Great", show_submitter=True)
    assert f"— {ws.owner.display_name}" in client.get("/reviewers/reva").text


def test_handles_are_case_insensitive_and_hidden_profiles_do_not_exist(client, session):
    make_reviewer(session, "a@example.com", "Alice")
    hidden = make_reviewer(session, "b@example.com", "bob")
    session.query(ReviewerProfile).filter_by(user_id=hidden.id).one().is_public = False
    session.commit()
    assert client.get("/reviewers/alice").status_code == 200
    assert client.get("/reviewers/bob").status_code == 404
    assert client.get("/reviewers/nobody").status_code == 404


def test_the_directory_lists_public_reviewers_filterable_by_verified_expertise(client, session):
    make_reviewer(session, "a@example.com", "alice", ["rust"])
    make_reviewer(session, "b@example.com", "bob", ["python", "security"])
    make_user(session, "dev@example.com")
    session.commit()
    everyone = client.get("/reviewers").text
    assert "@alice" in everyone and "@bob" in everyone
    rust = client.get("/reviewers?expertise=rust").text
    assert "@alice" in rust and "@bob" not in rust
    assert "No reviewers verified for" in client.get("/reviewers?expertise=cobol").text
