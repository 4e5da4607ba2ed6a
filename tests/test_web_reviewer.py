"""web.reviewer: applying, verification badges, a graded skills test, certificate checks."""

from __future__ import annotations

import io

from sqlalchemy import select

from models.outbox import Outbox
from models.reviewers import Evidence, ReviewerProfile
from tests.support.factories import make_user
from tests.support.web import sign_in

APPLICATION = {
    "bio": "Ten years of AppSec.",
    "tags": "security, Python",
    "github_username": "octo",
    "gitlab_username": "",
    "timezone": "Europe/Berlin",
    "work_start_hour": "8",
    "work_end_hour": "16",
    "capacity": "2",
    "available": "y",
}


def applicant(client, session):
    make_user(session, "app@example.com")
    session.commit()
    sign_in(client, "app@example.com")


def test_applying_records_pending_tags_and_queues_the_work_history(client, session):
    applicant(client, session)
    assert client.get("/reviewer").status_code == 302  # no profile yet: to the form
    response = client.post("/reviewer/apply", data=APPLICATION)
    assert response.status_code == 302
    profile = session.scalar(select(ReviewerProfile))
    assert profile.expertise == ["python", "security"] and profile.verified_tags == []
    assert {v.state for v in profile.verifications} == {"pending"}
    jobs = [r.job for r in session.scalars(select(Outbox))]
    assert "matching.evidence.fetch_work_history" in jobs
    page = client.get("/reviewer").get_data(as_text=True)
    assert "security" in page and "A small Flask file service" in page


def test_a_bad_time_zone_is_refused_with_a_clear_message_and_nothing_saved(client, session):
    applicant(client, session)
    response = client.post("/reviewer/apply", data={**APPLICATION, "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert "is not a time zone we know" in response.get_data(as_text=True)
    assert session.scalar(select(ReviewerProfile)) is None


def test_a_skills_test_is_taken_and_graded_through_the_pages(client, session):
    applicant(client, session)
    client.post("/reviewer/apply", data=APPLICATION)
    started = client.post("/reviewer/skills/python-security-1/start")
    assert started.status_code == 302
    attempt = started.headers["Location"]
    page = client.get(attempt).get_data(as_text=True)
    assert "pickle.loads" in page and "insecure-deserialization" in page
    answers = {"line-7": "hardcoded-secret", "line-15": "injection", "line-21": "path-traversal"}
    done = client.post(attempt, data=answers, follow_redirects=True)
    assert "Passed with a score of 75%" in done.get_data(as_text=True)
    evidence = session.scalar(select(Evidence).where(Evidence.kind == "skills_test"))
    assert (evidence.state, evidence.score, evidence.data["found"]) == ("verified", 0.75, 3)


def test_someone_elses_attempt_is_not_found(client, session):
    applicant(client, session)
    client.post("/reviewer/apply", data=APPLICATION)
    attempt = client.post("/reviewer/skills/python-security-1/start").headers["Location"]
    client.post("/sign-out")
    make_user(session, "other@example.com")
    session.commit()
    sign_in(client, "other@example.com")
    client.post("/reviewer/apply", data=APPLICATION)
    assert client.get(attempt).status_code == 404


def test_certificates_are_type_checked_and_never_stored_unscanned(client, session):
    applicant(client, session)
    client.post("/reviewer/apply", data=APPLICATION)
    form = {"tag": "security", "issuer": "OffSec", "issued_on": "2024-05-01"}
    exe = client.post(
        "/reviewer/certificates",
        data={**form, "file": (io.BytesIO(b"MZ\x90\x00binary"), "cert.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Invalid file format: upload a PDF, PNG or JPEG." in exe.get_data(as_text=True)
    pdf = client.post(
        "/reviewer/certificates",
        data={**form, "file": (io.BytesIO(b"%PDF-1.7\n%%EOF\n"), "cert.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    text = pdf.get_data(as_text=True)
    try:
        import intake.scanning  # noqa: F401
    except ImportError:
        assert "Certificate uploads are not available yet" in text
        assert session.scalar(select(Evidence).where(Evidence.kind == "certification")) is None
    else:
        assert "Certificate received" in text or "scanner" in text
