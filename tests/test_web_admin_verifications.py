"""web.admin_verifications: the admin decides each tag with a reason; revocation."""

from __future__ import annotations

from sqlalchemy import select

from models.outbox import Outbox
from models.reviewers import ReviewerProfile
from tests.support.factories import make_user
from tests.support.web import sign_in
from tests.test_web_reviewer import APPLICATION, applicant


def test_the_admin_approves_and_rejects_tags_with_reasons(client, session):
    applicant(client, session)
    client.post("/reviewer/apply", data=APPLICATION)
    client.post("/sign-out")
    assert client.get("/admin/verifications").status_code == 302  # signed out: sign in first
    make_user(session, "admin@example.com", "admin")
    session.commit()
    sign_in(client, "admin@example.com")
    page = client.get("/admin/verifications").get_data(as_text=True)
    assert "app@example.com" in page and "Ten years of AppSec." in page
    profile = session.scalar(select(ReviewerProfile))
    base = f"/admin/verifications/{profile.id}/tags"
    no_reason = client.post(f"{base}/python", data={"action": "reject"}, follow_redirects=True)
    assert "Please give the applicant a reason" in no_reason.get_data(as_text=True)
    client.post(f"{base}/security", data={"action": "approve", "reason": "Strong test"})
    client.post(f"{base}/python", data={"action": "reject", "reason": "No Python history"})
    session.refresh(profile)
    assert profile.verified_tags == ["security"]
    states = {v.tag: (v.state, v.reason) for v in profile.verifications}
    assert states["python"] == ("rejected", "No Python history")
    decided = [
        r.kwargs
        for r in session.scalars(select(Outbox))
        if r.kwargs.get("event") == "verification.decided"
    ]
    assert {d["tag"] for d in decided} == {"security", "python"}
    revoked = client.post(f"{base}/security", data={"action": "revoke", "reason": "Lapsed"})
    assert revoked.status_code == 302
    session.refresh(profile)
    assert profile.verified_tags == []


def test_only_admins_see_the_verification_screen(client, session):
    applicant(client, session)
    assert client.get("/admin/verifications").status_code == 403
