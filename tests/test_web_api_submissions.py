import io

import pytest

from models.tickets import Submission, TicketStatus
from tests.support.factories import make_user
from tests.support.hostile import _zip_bytes
from tests.support.intake import bearer, intake_settings_fixture  # noqa: F401
from tests.support.intake_forges import fake_forge_fixture  # noqa: F401

ZIP = _zip_bytes({"main.py": b"print('hi')\n"})


def post_archive(client, headers, data: bytes, name="code.zip", **fields):
    form = {"review_types": "security,performance", "description": "check it", **fields}
    form["archive"] = (io.BytesIO(data), name)
    return client.post(
        "/api/v1/submissions", data=form, headers=headers, content_type="multipart/form-data"
    )


def test_an_archive_upload_answers_201_with_the_ticket(client, session, intake_settings):
    headers = bearer(session, make_user(session))
    response = post_archive(client, headers, ZIP)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["ticket_id"].startswith("VT-")
    assert body["status"] == TicketStatus.SUBMITTED.value
    assert body["url"].endswith(f"/tickets/{body['ticket_id']}")
    ticket = session.query(Submission).filter_by(ticket_id=body["ticket_id"]).one()
    assert ticket.review_types == ["security", "performance"]
    assert ticket.upload_id and ticket.archive_name == "code.zip"


def test_a_file_that_is_not_an_archive_is_415_invalid_file_format(client, session, intake_settings):
    headers = bearer(session, make_user(session))
    response = post_archive(client, headers, b"%PDF-1.4 not an archive", name="code.zip")
    assert response.status_code == 415
    assert response.get_json()["error"]["message"] == "Invalid file format"
    assert session.query(Submission).count() == 0


def test_an_oversized_body_is_413_before_it_is_read(app_config, session):
    from app import create_app

    app_config["max_upload_bytes"] = 1024
    client = create_app(app_config).test_client()
    headers = bearer(session, make_user(session))
    response = post_archive(client, headers, b"PK\x03\x04" + b"\0" * (3 * 1024 * 1024))
    assert response.status_code == 413
    assert response.get_json()["error"]["message"] == "File size exceeds limit"
    assert session.query(Submission).count() == 0


def test_a_repository_url_as_json_opens_a_ticket(client, session, intake_settings):
    headers = bearer(session, make_user(session))
    response = client.post(
        "/api/v1/submissions",
        json={"repo_url": "https://github.com/octo/hello/tree/main", "review_types": ["security"]},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    ticket = session.query(Submission).one()
    assert (ticket.forge, ticket.repo_full_name, ticket.repo_ref) == (
        "github",
        "octo/hello",
        "main",
    )


def test_other_hosts_are_refused_with_a_clear_message(client, session, intake_settings):
    headers = bearer(session, make_user(session))
    response = client.post(
        "/api/v1/submissions",
        json={"repo_url": "https://bitbucket.org/a/b", "review_types": ["security"]},
        headers=headers,
    )
    assert response.status_code == 422
    message = response.get_json()["error"]["message"]
    assert message == "Only GitHub and GitLab repository URLs are supported"


def test_at_least_one_review_type_is_required(client, session, intake_settings):
    headers = bearer(session, make_user(session))
    response = client.post(
        "/api/v1/submissions",
        json={"repo_url": "https://github.com/a/b", "review_types": []},
        headers=headers,
    )
    assert response.status_code == 422
    assert "at least one review type" in response.get_json()["error"]["message"]


def test_exactly_one_source_is_required(client, session, intake_settings):
    headers = bearer(session, make_user(session))
    response = client.post(
        "/api/v1/submissions", json={"review_types": ["security"]}, headers=headers
    )
    assert response.status_code == 422


def test_callers_without_valid_credentials_get_401(client):
    response = client.post(
        "/api/v1/submissions",
        json={"repo_url": "https://github.com/a/b"},
        headers={"Authorization": "Bearer vt_wrong"},
    )
    assert response.status_code == 401


def test_token_calls_work_with_csrf_protection_on(app_config, session, intake_settings):
    from app import create_app

    app_config["wtf_csrf_enabled"] = True
    client = create_app(app_config).test_client()
    headers = bearer(session, make_user(session))
    response = post_archive(client, headers, ZIP)
    assert response.status_code == 201, response.get_json()


@pytest.fixture(autouse=True)
def _forges_on_loopback(app_config, fake_forge):
    """Repository URLs are checked against the forge: keep that on loopback."""
    app_config.update(github_api_url=fake_forge.url, gitlab_url="https://gitlab.com")


def test_malformed_json_fields_are_422_not_500(client, session, intake_settings):
    headers = bearer(session, make_user(session))
    for body in (
        {"repo_url": 5, "review_types": ["security"]},
        {"repo_url": "https://github.com/a/b", "review_types": 7},
        {"repo_url": "https://github.com/a/b", "review_types": ["security"], "hints": 3},
        {"repo_url": "https://github.com/a/b", "review_types": [{"x": 1}]},
    ):
        response = client.post("/api/v1/submissions", json=body, headers=headers)
        assert response.status_code == 422, body
    response = client.post(
        "/api/v1/submissions", data="[1, 2]", headers=headers, content_type="application/json"
    )
    assert response.status_code == 400
    assert session.query(Submission).count() == 0


def test_control_characters_are_dropped_from_hints_and_description(
    client, session, intake_settings
):
    headers = bearer(session, make_user(session))
    response = client.post(
        "/api/v1/submissions",
        json={
            "repo_url": "https://github.com/a/b",
            "review_types": ["security"],
            "description": "line one\nline\x00 two\ud800",
            "hints": ["Dja\x00ngo", "\x01"],
        },
        headers=headers,
    )
    assert response.status_code == 201
    ticket = session.query(Submission).one()
    assert ticket.hints == ["django"]
    assert ticket.description == "line one\nline two"
