"""web.auth: sign-up, sign-in, sign-out."""

import re

import pytest

from models.audit import AuditEvent
from tests.support.factories import PASSWORD, make_user


def test_signing_up_creates_the_account_and_signs_in(client, session):
    response = client.post(
        "/sign-up",
        data={
            "name": "Ada",
            "email": "ada@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 302 and response.location.endswith("/dashboard")
    assert "Hello, Ada" in client.get("/dashboard").text


def test_sign_up_with_mismatched_passwords_explains_and_creates_nothing(client, session):
    response = client.post(
        "/sign-up",
        data={
            "email": "ada@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD + "x",
        },
    )
    assert response.status_code == 400
    assert "Passwords differ." in response.text
    assert session.query(AuditEvent).count() == 0


def test_sign_up_with_a_taken_email_says_so(client, session):
    make_user(session, "ada@example.com")
    session.commit()
    response = client.post(
        "/sign-up",
        data={
            "email": "ada@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert "already exists" in response.text


def test_signing_in_and_out(client, session):
    make_user(session, "ada@example.com")
    session.commit()
    response = client.post("/sign-in", data={"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    client.post("/sign-out")
    assert client.get("/dashboard").status_code == 302


def test_a_wrong_password_is_refused_and_audited(client, session):
    make_user(session, "ada@example.com")
    session.commit()
    response = client.post("/sign-in", data={"email": "ada@example.com", "password": "nope nope"})
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.text
    assert session.query(AuditEvent).filter_by(action="user.sign_in_failed").count() == 1


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/dashboard", "/dashboard"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/", "/dashboard"),
    ],
)
def test_sign_in_only_redirects_within_the_site(client, session, target, expected):
    make_user(session, "ada@example.com")
    session.commit()
    response = client.post(
        f"/sign-in?next={target}", data={"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.location == expected


def test_pages_needing_sign_in_redirect_there(client):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/sign-in?next=/dashboard" in response.location


def test_the_session_is_rotated_on_sign_in(client, session):
    make_user(session, "ada@example.com")
    session.commit()
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
    client.post("/sign-in", data={"email": "ada@example.com", "password": PASSWORD})
    with client.session_transaction() as s:
        assert "planted" not in s


@pytest.fixture
def csrf_app_config(app_config):
    app_config["wtf_csrf_enabled"] = True
    return app_config


def test_forms_without_a_csrf_token_are_refused(csrf_app_config, session):
    from app import create_app

    make_user(session, "ada@example.com")
    session.commit()
    client = create_app(csrf_app_config).test_client()
    response = client.post("/sign-in", data={"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 400
    page = client.get("/sign-in").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/sign-in",
        data={
            "email": "ada@example.com",
            "password": PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
