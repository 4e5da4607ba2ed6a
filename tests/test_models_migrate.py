"""models.migrate: the Alembic migrations build the models' schema from empty, and undo it."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import models
from models.db import normalise_url
from models.migrate import alembic_config, downgrade, upgrade
from tests.support.services import TEST_DATABASE_URL, postgres_available, unavailable


def _assert_matches_models(url: str) -> None:
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
    engine.dispose()
    assert diff == [], f"migrations and models differ: {diff}"


def _tables(url: str) -> set[str]:
    engine = create_engine(normalise_url(url))
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_sqlite_upgrades_from_empty_to_the_models_schema_and_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    assert "submissions" in _tables(url)
    _assert_matches_models(url)
    downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}


def test_postgresql_upgrades_from_empty_to_the_models_schema_and_back():
    url = TEST_DATABASE_URL + "_migrations"
    problem = postgres_available(url)
    if problem:
        unavailable(problem)
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)
    _assert_matches_models(url)
    assert _reloptions(url, "webhook_deliveries") == ["toast_tuple_target=8160"]
    downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}


def _reloptions(url: str, table: str) -> list[str] | None:
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        options = conn.scalar(
            text("SELECT reloptions FROM pg_class WHERE relname = :table"), {"table": table}
        )
    engine.dispose()
    return options


def test_postgresql_keeps_sealed_webhook_payloads_inline_when_built_from_the_models(pg_url):
    """create_all (tests, benchmarks) sets what migration 0002 sets."""
    assert _reloptions(pg_url, "webhook_deliveries") == ["toast_tuple_target=8160"]


def test_there_is_a_single_migration_head():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


@pytest.mark.parametrize("revision", ["head"])
def test_offline_sql_can_be_generated_for_review(tmp_path, capsys, revision):
    command.upgrade(alembic_config("postgresql://localhost/x"), revision, sql=True)
    assert "CREATE TABLE submissions" in capsys.readouterr().out


def test_create_database_creates_a_missing_postgresql_database_once(pg_url):
    from sqlalchemy import create_engine, text

    from models.db import normalise_url

    url = pg_url + "_created_by_cli"
    admin = create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"'))
    from models.migrate import create_database

    assert create_database(url) is True
    assert create_database(url) is False
    admin.dispose()
