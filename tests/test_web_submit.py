import io

import pytest

from models.tickets import Submission
from tests.support.hostile import _zip_bytes
from tests.support.intake import intake_settings_fixture, signed_in  # noqa: F401
from tests.support.intake_forges import fake_forge_fixture  # noqa: F401


def test_the_submit_page_has_both_tabs_review_types_and_instructions(client, session):
    signed_in(client, session)
    html = client.get("/submit").get_data(as_text=True)
    for text in ("Upload an archive", "Repository URL", "Security audit", "Performance audit"):
        assert text in html
    assert "Best practices" in html and "at least one" in html
    assert "js/tus-client.js" in html and "<script>" not in html


def test_uploading_through_the_page_lands_on_the_ticket_page(client, session, intake_settings):
    signed_in(client, session)
    response = client.post(
        "/submit",
        data={
            "source": "upload",
            "review_types": ["security", "best-practices"],
            "description": "my app",
            "archive": (io.BytesIO(_zip_bytes({"a.py": b"x = 1"})), "app.zip"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    ticket = session.query(Submission).one()
    assert response.headers["Location"].endswith(f"/tickets/{ticket.ticket_id}")
    assert ticket.review_types == ["security", "best-practices"]
    assert ticket.description == "my app"


def test_a_repository_url_through_the_page(client, session, intake_settings):
    signed_in(client, session)
    response = client.post(
        "/submit",
        data={
            "source": "repo",
            "review_types": ["performance"],
            "repo_url": "https://gitlab.com/group/sub/project/-/tree/v1.2",
        },
    )
    assert response.status_code == 303
    ticket = session.query(Submission).one()
    assert (ticket.forge, ticket.repo_full_name, ticket.repo_ref) == (
        "gitlab",
        "group/sub/project",
        "v1.2",
    )


def test_mistakes_are_explained_on_the_page_and_create_nothing(client, session, intake_settings):
    signed_in(client, session)
    response = client.post(
        "/submit",
        data={"source": "upload", "review_types": ["security"],
              "archive": (io.BytesIO(b"not an archive"), "x.zip")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 415
    assert "Invalid file format" in response.get_data(as_text=True)
    response = client.post("/submit", data={"source": "repo", "repo_url": "https://x.org/a/b"})
    assert response.status_code == 422
    assert "choose at least one review type" in response.get_data(as_text=True).lower()
    assert session.query(Submission).count() == 0


def test_signing_in_is_required(client):
    assert client.get("/submit").status_code == 302


@pytest.fixture(autouse=True)
def _forges_on_loopback(app_config, fake_forge):
    """Repository URLs are checked against the forge: keep that on loopback."""
    app_config.update(github_api_url=fake_forge.url, gitlab_url="https://gitlab.com")


def test_readiness_reports_an_unreachable_scanner(app_config):
    from app import create_app
    from tests.support.services import free_port

    app_config["clamd_url"] = f"tcp://127.0.0.1:{free_port()}"
    response = create_app(app_config).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["scanner"] == "clamd unreachable"


def test_readiness_is_fine_without_clamd_configured(client):
    assert client.get("/readyz").get_json()["checks"]["scanner"] == "ok"
