"""settings: one typed object read from the environment once."""

from pathlib import Path

import pytest

from settings import ENV_VARS, REQUIRED_IN_PRODUCTION, Settings, SettingsError, load_settings

PRODUCTION = {
    "VETTED_ENV": "production",
    "SECRET_KEY": "s",
    "DATABASE_URL": "postgresql://db/vetted",
    "REDIS_URL": "redis://r:6379/0",
    "ENCRYPTION_KEYS": "k1:AAAA",
    "BASE_URL": "https://vetted.example",
}


def test_nothing_configured_gives_the_embedded_defaults():
    settings = load_settings({})
    assert settings.env == "development"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("var/vetted.db")
    assert settings.redis_url == ""
    assert settings.email_backend == "console"
    assert settings.max_upload_bytes == 200 * 1024 * 1024
    assert settings.storage_dir == Path("var/storage")


def test_values_are_converted_to_their_types():
    settings = load_settings(
        {
            "MAX_UPLOAD_BYTES": "1024",
            "SESSION_COOKIE_SECURE": "yes",
            "MATCH_WEIGHT_LOAD": "2.5",
            "STORAGE_DIR": "/srv/code",
        }
    )
    assert settings.max_upload_bytes == 1024
    assert settings.session_cookie_secure is True
    assert settings.match_weight_load == 2.5
    assert settings.storage_dir == Path("/srv/code")


def test_a_malformed_number_names_the_variable():
    with pytest.raises(SettingsError, match="MAX_UPLOAD_BYTES"):
        load_settings({"MAX_UPLOAD_BYTES": "lots"})


def test_a_malformed_flag_names_the_variable():
    with pytest.raises(SettingsError, match="SESSION_COOKIE_SECURE"):
        load_settings({"SESSION_COOKIE_SECURE": "perhaps"})


@pytest.mark.parametrize("missing", REQUIRED_IN_PRODUCTION)
def test_production_refuses_to_start_without_a_required_setting(missing):
    environ = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(SettingsError, match=missing):
        load_settings(environ)


def test_production_forces_secure_cookies_and_an_external_worker():
    settings = load_settings(PRODUCTION)
    assert settings.is_production
    assert settings.session_cookie_secure is True
    assert settings.embedded_worker is False


def test_every_environment_variable_maps_to_a_field():
    fields = set(Settings.__dataclass_fields__)
    assert set(ENV_VARS.values()) <= fields


def test_every_environment_variable_is_documented_in_env_example_and_readme():
    root = Path(__file__).resolve().parent.parent
    example = (root / ".env.example").read_text()
    readme = (root / "README.md").read_text()
    for var in ENV_VARS:
        assert f"{var}=" in example, f"{var} missing from .env.example"
        assert f"`{var}`" in readme, f"{var} missing from README"


def test_overrides_reach_unknown_keys_through_extra():
    settings = Settings().with_overrides(max_upload_bytes=5, testing=True)
    assert settings.max_upload_bytes == 5
    assert settings.extra["testing"] is True
