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


def test_the_admin_checks_evidence_and_who_and_when_are_recorded(client, session):
    from models.reviewers import Evidence

    applicant(client, session)
    client.post("/reviewer/apply", data=APPLICATION)
    profile = session.scalar(select(ReviewerProfile))
    session.add(Evidence(profile_id=profile.id, kind="work_history", data={"forge": "github",
                "login": "octo", "followers": 42, "public_repos": 5, "account_age_days": 3000,
                "top_languages": [{"language": "Python", "repos": 4}]}))  # fmt: skip
    session.commit()
    client.post("/sign-out")
    admin = make_user(session, "admin@example.com", "admin")
    session.commit()
    sign_in(client, "admin@example.com")
    page = client.get("/admin/verifications").get_data(as_text=True)
    assert "5 public repositories, 42 followers" in page and "Python (4)" in page
    evidence = session.scalar(select(Evidence))
    assert client.post(f"/admin/verifications/evidence/{evidence.id}", data={"action": "maybe"})
    session.refresh(evidence)
    assert evidence.checked_at is None  # an unknown action changes nothing
    client.post(f"/admin/verifications/evidence/{evidence.id}", data={"action": "accept"})
    session.refresh(evidence)
    assert (evidence.state, evidence.checked_by_id) == ("verified", admin.id)
    assert evidence.checked_at is not None


def test_the_admin_downloads_a_stored_certificate_decrypted(client, session, settings):
    from pathlib import Path

    from intake.storage import store_bytes
    from models.reviewers import Evidence

    applicant(client, session)
    client.post("/reviewer/apply", data=APPLICATION)
    profile = session.scalar(select(ReviewerProfile))
    content = b"%PDF-1.7\nOSCP certificate\n%%EOF\n"
    key = store_bytes(content, root=Path(settings.storage_dir))
    data = {
        "issuer": "OffSec",
        "issued_on": "2024-05-01",
        "filename": "oscp.pdf",
        "content_type": "application/pdf",
        "size": len(content),
        "scan_engine": "clamd",
    }
    cert = Evidence(
        profile_id=profile.id, kind="certification", tag="security", storage_key=key, data=data
    )
    session.add(cert)
    session.commit()
    path = f"/admin/verifications/evidence/{cert.id}/file"
    assert client.get(path).status_code == 403  # the applicant is no admin
    client.post("/sign-out")
    make_user(session, "admin@example.com", "admin")
    session.commit()
    sign_in(client, "admin@example.com")
    assert f'href="{path}"' in client.get("/admin/verifications").get_data(as_text=True)
    response = client.get(path)
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Type"] == "application/pdf"
    stored = [p for p in Path(settings.storage_dir).rglob("*") if p.is_file()]
    assert stored and all(b"OSCP" not in p.read_bytes() for p in stored)  # encrypted at rest
