"""web.review: the summary page, attachment downloads and diffs, feedback and rating forms."""

import pytest

from tests.support.workspace import make_clean_attachment, make_workspace, sign_in


@pytest.fixture
def ws(session, settings, tmp_path):
    return make_workspace(session, settings, tmp_path)


def test_downloads_are_always_attachments_never_rendered_inline(client, ws, session):
    attachment = make_clean_attachment(
        session,
        ws.ticket,
        ws.reviewer,
        data=b"<html><script>x</script></html>",
        filename='evil"name<>.md',
    )
    session.commit()
    sign_in(client, ws.owner)
    response = client.get(f"/tickets/{ws.ticket.ticket_id}/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert '"' not in response.headers["Content-Disposition"].split("filename=")[1][1:-1]
    assert response.mimetype == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == b"<html><script>x</script></html>"


def test_the_developer_views_a_patch_as_a_diff(client, ws, session):
    patch = b"--- a/app/main.py\n+++ b/app/main.py\n@@ -5 +5 @@\n-old line\n+new line\n"
    attachment = make_clean_attachment(
        session, ws.ticket, ws.reviewer, data=patch, kind="patch", filename="fix.patch"
    )
    session.commit()
    sign_in(client, ws.owner)
    html = client.get(f"/tickets/{ws.ticket.ticket_id}/attachments/{attachment.id}/diff").text
    assert 'class="vt-diff-del"' in html and "old line" in html and "new line" in html


def test_a_report_cannot_be_shown_as_a_diff_and_says_why(client, ws, session):
    attachment = make_clean_attachment(session, ws.ticket, ws.reviewer)
    session.commit()
    sign_in(client, ws.owner)
    response = client.get(f"/tickets/{ws.ticket.ticket_id}/attachments/{attachment.id}/diff")
    assert response.status_code == 422
    assert "Only fixed code and patches can be shown as a diff." in response.text


def test_pending_and_infected_files_are_listed_without_a_link(client, ws, session):
    pending = make_clean_attachment(
        session, ws.ticket, ws.reviewer, scan_status="pending", filename="later.md"
    )
    session.commit()
    sign_in(client, ws.owner)
    html = client.get(f"/tickets/{ws.ticket.ticket_id}/review").text
    assert "later.md" in html and "awaiting malware scan" in html
    assert f"/attachments/{pending.id}" not in html


def test_the_reviewer_sees_the_feedback_and_attach_forms_the_developer_does_not(client, ws):
    sign_in(client, ws.reviewer)
    html = client.get(f"/tickets/{ws.ticket.ticket_id}/review").text
    assert 'id="feedback-form"' in html and 'id="attach-form"' in html
    sign_in(client, ws.owner)
    html = client.get(f"/tickets/{ws.ticket.ticket_id}/review").text
    assert 'id="feedback-form"' not in html and 'id="attach-form"' not in html
    assert 'id="rating-form"' not in html  # not before completion


def test_the_ticket_panel_partial_renders_nothing_for_outsiders(app, ws, session):
    from flask import render_template_string

    from tests.support.factories import make_user

    stranger = make_user(session, "eve@example.com")
    session.commit()
    template = '{% include "workspace/_ticket_panel.html" %}'
    with app.test_request_context():
        from flask import g

        g.current_user = stranger
        assert render_template_string(template, ticket=ws.ticket).strip() == ""
        g.current_user = ws.owner
        assert 'id="open-code"' in render_template_string(template, ticket=ws.ticket)


FEEDBACK = {
    "security": "SQL injection in `handler`.",
    "performance": "`slow()` is quadratic.",
    "best_practices": "Add tests.",
    "overall": "Good start. <script>alert(1)</script>**Fix the injection.**",
    "verdict": "approved_with_suggestions",
}


def _complete(client, ws, **changes):
    sign_in(client, ws.reviewer)
    return client.post(f"/tickets/{ws.ticket.ticket_id}/feedback", data={**FEEDBACK, **changes})


def test_the_reviewer_completes_with_summary_feedback_rendered_safely(client, ws, session):
    from models.outbox import Outbox

    response = _complete(client, ws)
    assert response.status_code == 303
    session.expire_all()
    assert session.get(type(ws.ticket), ws.ticket.id).status == "completed"
    events = [row.kwargs.get("event") for row in session.query(Outbox)]
    assert "ticket.completed" in events
    sign_in(client, ws.owner)
    html = client.get(f"/tickets/{ws.ticket.ticket_id}/review").text
    assert "<strong>Fix the injection.</strong>" in html and "alert(1)" not in html
    assert "Approved with suggestions" in html
    assert 'id="rating-form"' in html


def test_an_unknown_verdict_is_refused_and_the_review_stays_open(client, ws, session):
    response = _complete(client, ws, verdict="yolo")
    assert response.status_code == 400
    assert "Please choose an overall verdict." in response.text
    assert "SQL injection in" in response.text  # what was typed is kept
    session.expire_all()
    assert session.get(type(ws.ticket), ws.ticket.id).status == "in_review"


def test_the_developer_cannot_complete_the_review(client, ws, session):
    sign_in(client, ws.owner)
    response = client.post(f"/tickets/{ws.ticket.ticket_id}/feedback", data=FEEDBACK)
    assert response.status_code == 400
    assert "Only the assigned reviewer can complete this review." in response.text
    session.expire_all()
    assert session.get(type(ws.ticket), ws.ticket.id).status == "in_review"


def test_the_developer_rates_then_edits_and_after_a_week_the_rating_is_final(client, ws, session):
    from datetime import timedelta

    from models.reviews import Rating

    _complete(client, ws)
    sign_in(client, ws.owner)
    url = f"/tickets/{ws.ticket.ticket_id}/rating"
    first = client.post(url, data={"score": "3", "depth": "4", "comment": "OK"})
    assert first.status_code == 303
    client.post(url, data={"score": "5", "comment": "Changed my mind: great"})
    session.expire_all()
    rating = session.query(Rating).one()
    assert (rating.score, rating.comment) == (5, "Changed my mind: great")
    rating.created_at = rating.created_at - timedelta(days=8)
    session.commit()
    html = client.get(f"/tickets/{ws.ticket.ticket_id}/review").text
    assert 'id="rating-form"' not in html and "Rated <b>5</b>" in html
    late = client.post(url, data={"score": "1"})
    assert late.status_code == 400
    session.expire_all()
    assert session.query(Rating).one().score == 5


def test_a_rating_needs_a_score_from_one_to_five(client, ws, session):
    from models.reviews import Rating

    _complete(client, ws)
    sign_in(client, ws.owner)
    url = f"/tickets/{ws.ticket.ticket_id}/rating"
    assert "Choose an overall rating from 1 to 5." in client.post(url, data={}).text
    assert "from 1 to 5" in client.post(url, data={"score": "9"}).text
    assert client.post(url, data={"score": "9"}).status_code == 400
    assert client.post(url, data={"score": "abc"}).status_code == 400
    assert session.query(Rating).count() == 0


def test_attachment_uploads_share_the_upload_rate_limit(app):
    from web.limits import LIMITS, UPLOADS, unknown_endpoints

    assert LIMITS["review.upload"] == (UPLOADS,)
    assert "review.upload" not in unknown_endpoints(app)


def test_the_ticket_page_shows_the_workspace_panel_only_to_those_who_may_open_the_code(
    client, ws, session
):
    from datetime import timedelta

    from models.base import utcnow
    from models.offers import Offer
    from tests.support.workspace import make_reviewer

    offered = make_reviewer(session, "offered@example.com", "offered")
    session.add(
        Offer(
            submission_id=ws.ticket.id,
            reviewer_id=offered.id,
            expires_at=utcnow() + timedelta(hours=1),
        )
    )
    session.commit()
    sign_in(client, ws.owner)
    page = client.get(f"/tickets/{ws.ticket.ticket_id}")
    assert page.status_code == 200 and 'id="workspace-panel"' in page.text
    sign_in(client, offered)
    page = client.get(f"/tickets/{ws.ticket.ticket_id}")
    assert page.status_code == 200 and 'id="workspace-panel"' not in page.text
