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


def _reset_link(client) -> str:  # type: ignore[no-untyped-def]
    """Run the e-mail jobs and read the link from the e-mail the console backend wrote."""
    import email
    import email.policy
    import re

    from jobs.dispatch import drain

    settings = client.application.config["SETTINGS"]
    drain(settings)
    mails = sorted(settings.mail_dir.glob("*.eml"))
    assert mails, "no e-mail was written"
    message = email.message_from_bytes(mails[-1].read_bytes(), policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://localhost(/reset-password/[^\s\"<]+)", text).group(1)


def test_forgot_password_sends_a_reset_link_through_notify(client, session):
    user = make_user(session, "ada@example.com")
    session.commit()
    response = client.post("/forgot-password", data={"email": "ADA@example.com"})
    assert response.status_code == 302
    assert "If an account exists" in client.get(response.location).text
    from models.outbox import Outbox

    row = session.query(Outbox).filter_by(job="notify.jobs.send_password_reset").one()
    assert row.kwargs["user_id"] == user.id
    assert "reset-password" not in str(row.kwargs)  # the link itself is never stored
    link = _reset_link(client)
    assert link.startswith("/reset-password/")


def test_forgot_password_answers_the_same_for_unknown_addresses(client, session):
    from models.outbox import Outbox

    response = client.post("/forgot-password", data={"email": "nobody@example.com"})
    assert response.status_code == 302
    assert "If an account exists" in client.get(response.location).text
    assert session.query(Outbox).count() == 0


def test_the_reset_link_changes_the_password_once_and_ends_other_sessions(client, session):
    make_user(session, "ada@example.com")
    session.commit()
    elsewhere = client.application.test_client()
    elsewhere.post("/sign-in", data={"email": "ada@example.com", "password": PASSWORD})
    assert elsewhere.get("/dashboard").status_code == 200
    client.post("/forgot-password", data={"email": "ada@example.com"})
    link = _reset_link(client)
    assert client.get(link).status_code == 200
    new = "a brand new password"
    response = client.post(link, data={"password": new, "confirm": new})
    assert response.status_code == 302 and response.location.endswith("/sign-in")
    assert elsewhere.get("/dashboard").status_code == 302  # signed out everywhere
    assert (
        client.post("/sign-in", data={"email": "ada@example.com", "password": new}).status_code
        == 302
    )
    reused = client.post(link, data={"password": new + "!", "confirm": new + "!"})
    assert reused.status_code == 400 and "already been used" in reused.text


def test_a_forged_reset_link_is_refused_clearly(client):
    response = client.get("/reset-password/not-a-real-token")
    assert response.status_code == 400 and "not valid" in response.text


def test_reset_with_mismatched_passwords_explains_and_changes_nothing(client, session):
    make_user(session, "ada@example.com")
    session.commit()
    client.post("/forgot-password", data={"email": "ada@example.com"})
    link = _reset_link(client)
    response = client.post(
        link, data={"password": "a brand new password", "confirm": "different one!"}
    )
    assert response.status_code == 400 and "Passwords differ." in response.text
    assert (
        client.post("/sign-in", data={"email": "ada@example.com", "password": PASSWORD}).status_code
        == 302
    )


def test_session_cookies_are_httponly_lax_and_secure_in_production(app_config, session):
    from app import create_app

    make_user(session, "ada@example.com")
    session.commit()
    for env, secure in (("test", False), ("production", True)):
        app = create_app({**app_config, "env": env, "session_cookie_secure": secure})
        response = app.test_client().post(
            "/sign-in", data={"email": "ada@example.com", "password": PASSWORD}
        )
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


def test_production_settings_force_secure_cookies():
    from settings import load_settings

    settings = load_settings(
        {
            "VETTED_ENV": "production",
            "SECRET_KEY": "s",
            "DATABASE_URL": "postgresql://db/vetted",
            "REDIS_URL": "redis://r:6379/0",
            "ENCRYPTION_KEYS": "k1:AAAA",
            "BASE_URL": "https://vetted.example",
        }
    )
    assert settings.session_cookie_secure is True


def test_the_session_id_changes_on_sign_in(client, session):
    make_user(session, "ada@example.com")
    session.commit()
    client.get("/sign-in")
    with client.session_transaction() as s:
        s["planted"] = "x"
    before = client.get_cookie("session").value
    client.post("/sign-in", data={"email": "ada@example.com", "password": PASSWORD})
    after = client.get_cookie("session").value
    assert before != after
    with client.session_transaction() as s:
        assert set(s) <= {"uid", "epoch", "_permanent", "_flashes", "csrf_token"}
