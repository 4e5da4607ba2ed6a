"""cli: the operator's commands, run as ``flask --app app ...`` would run them."""

from sqlalchemy import text

from accounts.tokens import resolve_token
from models.crypto import Keyring, configure_keyring, generate_key
from models.users import User
from tests.conftest import TEST_KEYS
from tests.support.factories import make_ticket, make_user


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_user_create_makes_a_user_with_roles(app, session):
    result = run(
        app,
        "user",
        "create",
        "ops@example.com",
        "--role",
        "admin",
        "--role",
        "reviewer",
        "--password",
        "a long enough password",
    )
    assert result.exit_code == 0, result.output
    user = session.query(User).filter_by(email="ops@example.com").one()
    assert user.roles == ["admin", "reviewer"]


def test_user_create_refuses_a_short_password(app):
    result = run(app, "user", "create", "ops@example.com", "--password", "short")
    assert result.exit_code != 0 and "at least 10" in result.output


def test_user_create_refuses_a_duplicate(app, session):
    make_user(session, "ops@example.com")
    session.commit()
    result = run(app, "user", "create", "ops@example.com", "--password", "a long enough password")
    assert result.exit_code != 0 and "already exists" in result.output


def test_token_create_prints_a_working_token_once(app, session):
    make_user(session, "ops@example.com")
    session.commit()
    result = run(app, "token", "create", "ops@example.com")
    secret = result.stdout.strip()
    assert result.exit_code == 0 and secret.startswith("vt_")
    assert resolve_token(session, secret) is not None
    assert secret not in str(session.execute(text("SELECT * FROM api_tokens")).all())


def test_keys_rotate_re_encrypts_everything_under_the_new_key(app, session):
    make_ticket(session, make_user(session), description="confidential")
    session.commit()
    rotated = Keyring.from_setting(f"t9:{generate_key()},{TEST_KEYS}")
    configure_keyring(rotated)
    result = run(app, "keys", "rotate")
    assert result.exit_code == 0, result.output
    assert "under key t9" in result.output
    raw = session.execute(text("SELECT description FROM submissions")).scalar_one()
    assert Keyring.key_id_of(bytes(raw)) == "t9"


def test_every_command_has_help(app):
    for group in ("user", "token", "keys", "db", "jobs"):
        result = run(app, group, "--help")
        assert result.exit_code == 0 and "Usage" in result.output
